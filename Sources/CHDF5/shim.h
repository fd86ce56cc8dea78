// HDF5 through pkg-config "hdf5" (Debian: libhdf5-dev). HDF5's macros that expand to
// function calls or casts (H5F_ACC_*, H5T_NATIVE_*) do not import into Swift: they are
// wrapped below in static inline getters.
#pragma once
#include <hdf5.h>

static inline unsigned lmzoo_H5F_ACC_RDONLY(void) { return H5F_ACC_RDONLY; }
static inline unsigned lmzoo_H5F_ACC_TRUNC(void) { return H5F_ACC_TRUNC; }
static inline hid_t lmzoo_H5P_DEFAULT(void) { return H5P_DEFAULT; }
static inline hid_t lmzoo_H5S_ALL(void) { return H5S_ALL; }
static inline hid_t lmzoo_H5T_NATIVE_FLOAT(void) { return H5T_NATIVE_FLOAT; }
static inline hid_t lmzoo_H5T_NATIVE_DOUBLE(void) { return H5T_NATIVE_DOUBLE; }
static inline hid_t lmzoo_H5T_NATIVE_INT8(void) { return H5T_NATIVE_INT8; }
static inline hid_t lmzoo_H5T_NATIVE_UINT8(void) { return H5T_NATIVE_UINT8; }
static inline hid_t lmzoo_H5T_NATIVE_INT16(void) { return H5T_NATIVE_INT16; }
static inline hid_t lmzoo_H5T_NATIVE_INT32(void) { return H5T_NATIVE_INT32; }
static inline hid_t lmzoo_H5T_NATIVE_INT64(void) { return H5T_NATIVE_INT64; }
static inline hid_t lmzoo_H5T_C_S1(void) { return H5T_C_S1; }
