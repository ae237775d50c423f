#!/bin/sh
# Calibrates every stored seeded reference (lib/reference/calibration.h).
exec "$1" experiments/reference/*.json
