#!/bin/sh
# Runs the runner with the arguments a figure target binds (see defs.bzl).
exec "$@"
