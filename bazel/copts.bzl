"""Compiler options every btfreg library target sets for itself."""

# C++17 whatever the workspace asks for (Bazel 4's toolchain asks for C++11),
# so that a workspace using btfreg needs no flag to build btfreg's sources.
BTFREG_COPTS = ["-std=c++17"]
