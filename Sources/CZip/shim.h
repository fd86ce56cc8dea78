// libzip through pkg-config "libzip" (Debian: libzip-dev).
#pragma once
#include <zip.h>
