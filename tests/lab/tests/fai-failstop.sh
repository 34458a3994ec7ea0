#!/bin/bash
# fai-failstop: only the FAILSTOP half of fai-fail (one install instead of two)
# lab: fai 1800
FAI_FAIL_CLASSES=FAILSTOP . "$(dirname "$0")/fai-fail.sh"
