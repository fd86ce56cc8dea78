// OpenBLAS through pkg-config "openblas" (Debian: libopenblas-dev, pthread build).
#pragma once
#include <cblas.h>
