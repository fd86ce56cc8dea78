// libzip through pkg-config "libzip" (Debian: libzip-dev), plus zlib (its dependency) for crc32.
#pragma once
#include <zip.h>
#include <zlib.h>
