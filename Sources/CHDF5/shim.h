// HDF5 through pkg-config "hdf5" (Debian: libhdf5-dev). HDF5's macros that expand to
// function calls or casts (H5F_ACC_*, H5T_NATIVE_*, H5T_STD_*, H5P_* classes, H5E_DEFAULT,
// HADDR_UNDEF, H5T_VARIABLE) do not import into Swift: they are wrapped below in static inline
// getters. A few small C helpers (callbacks HDF5 calls back into) live here too.
#pragma once
#include <hdf5.h>
#include <stdio.h>
#include <string.h>

static inline unsigned lmzoo_H5F_ACC_RDONLY(void) { return H5F_ACC_RDONLY; }
static inline unsigned lmzoo_H5F_ACC_TRUNC(void) { return H5F_ACC_TRUNC; }
static inline hid_t lmzoo_H5P_DEFAULT(void) { return H5P_DEFAULT; }
static inline hid_t lmzoo_H5S_ALL(void) { return H5S_ALL; }
static inline hid_t lmzoo_H5E_DEFAULT(void) { return H5E_DEFAULT; }
static inline haddr_t lmzoo_HADDR_UNDEF(void) { return HADDR_UNDEF; }
static inline size_t lmzoo_H5T_VARIABLE(void) { return H5T_VARIABLE; }
static inline hid_t lmzoo_H5T_NATIVE_FLOAT(void) { return H5T_NATIVE_FLOAT; }
static inline hid_t lmzoo_H5T_NATIVE_DOUBLE(void) { return H5T_NATIVE_DOUBLE; }
static inline hid_t lmzoo_H5T_NATIVE_INT8(void) { return H5T_NATIVE_INT8; }
static inline hid_t lmzoo_H5T_NATIVE_UINT8(void) { return H5T_NATIVE_UINT8; }
static inline hid_t lmzoo_H5T_NATIVE_INT16(void) { return H5T_NATIVE_INT16; }
static inline hid_t lmzoo_H5T_NATIVE_INT32(void) { return H5T_NATIVE_INT32; }
static inline hid_t lmzoo_H5T_NATIVE_INT64(void) { return H5T_NATIVE_INT64; }
static inline hid_t lmzoo_H5T_C_S1(void) { return H5T_C_S1; }

// Little-endian standard types (what lmzoo's tensors hold) and IEEE floats.
static inline hid_t lmzoo_H5T_STD_I8LE(void) { return H5T_STD_I8LE; }
static inline hid_t lmzoo_H5T_STD_U8LE(void) { return H5T_STD_U8LE; }
static inline hid_t lmzoo_H5T_STD_I16LE(void) { return H5T_STD_I16LE; }
static inline hid_t lmzoo_H5T_STD_U16LE(void) { return H5T_STD_U16LE; }
static inline hid_t lmzoo_H5T_STD_I32LE(void) { return H5T_STD_I32LE; }
static inline hid_t lmzoo_H5T_STD_U32LE(void) { return H5T_STD_U32LE; }
static inline hid_t lmzoo_H5T_STD_I64LE(void) { return H5T_STD_I64LE; }
static inline hid_t lmzoo_H5T_STD_U64LE(void) { return H5T_STD_U64LE; }
static inline hid_t lmzoo_H5T_IEEE_F32LE(void) { return H5T_IEEE_F32LE; }
static inline hid_t lmzoo_H5T_IEEE_F64LE(void) { return H5T_IEEE_F64LE; }

// Property list classes.
static inline hid_t lmzoo_H5P_FILE_ACCESS(void) { return H5P_FILE_ACCESS; }
static inline hid_t lmzoo_H5P_FILE_CREATE(void) { return H5P_FILE_CREATE; }
static inline hid_t lmzoo_H5P_GROUP_CREATE(void) { return H5P_GROUP_CREATE; }
static inline hid_t lmzoo_H5P_LINK_ACCESS(void) { return H5P_LINK_ACCESS; }
static inline hid_t lmzoo_H5P_LINK_CREATE(void) { return H5P_LINK_CREATE; }

// An external-link traversal callback that refuses every traversal: a link access property list
// with it never opens another file, whatever path (soft links included) leads there.
static herr_t lmzoo_refuse_external_link(const char *parent_file_name, const char *parent_group_name,
                                         const char *child_file_name, const char *child_object_name,
                                         unsigned *acc_flags, hid_t fapl_id, void *op_data) {
    (void)parent_file_name; (void)parent_group_name; (void)child_file_name; (void)child_object_name;
    (void)acc_flags; (void)fapl_id; (void)op_data;
    return -1;
}
static inline herr_t lmzoo_refuse_external_links(hid_t lapl) { return H5Pset_elink_cb(lapl, lmzoo_refuse_external_link, NULL); }

// File image callbacks that never copy: the core driver reads the caller's (read-only) buffer in
// place, as the high-level library's H5LT_FILE_IMAGE_DONT_COPY | DONT_RELEASE does. `udata` is
// the buffer. Only valid for files opened read-only (a resize request fails).
static void *lmzoo_image_malloc(size_t size, H5FD_file_image_op_t op, void *udata) { (void)size; (void)op; return udata; }
static void *lmzoo_image_memcpy(void *dest, const void *src, size_t size, H5FD_file_image_op_t op, void *udata) {
    (void)size; (void)op; (void)udata;
    return dest == src ? dest : NULL;
}
static void *lmzoo_image_realloc(void *ptr, size_t size, H5FD_file_image_op_t op, void *udata) {
    (void)ptr; (void)size; (void)op; (void)udata;
    return NULL;
}
static herr_t lmzoo_image_free(void *ptr, H5FD_file_image_op_t op, void *udata) { (void)ptr; (void)op; (void)udata; return 0; }
static void *lmzoo_image_udata_copy(void *udata) { return udata; }
static herr_t lmzoo_image_udata_free(void *udata) { (void)udata; return 0; }

/// Makes `fapl` open `buffer` (`size` bytes) in memory through the core driver, without copying it.
static inline herr_t lmzoo_set_file_image_in_place(hid_t fapl, const void *buffer, size_t size) {
    if (H5Pset_fapl_core(fapl, 1 << 16, 0) < 0) return -1;
    H5FD_file_image_callbacks_t callbacks = {
        lmzoo_image_malloc, lmzoo_image_memcpy, lmzoo_image_realloc, lmzoo_image_free,
        lmzoo_image_udata_copy, lmzoo_image_udata_free, (void *)buffer};
    if (H5Pset_file_image_callbacks(fapl, &callbacks) < 0) return -1;
    return H5Pset_file_image(fapl, (void *)buffer, size);
}

// The innermost message of HDF5's current error stack (the most specific cause), or "".
typedef struct { char text[256]; } lmzoo_h5_message;
static herr_t lmzoo_h5_walk(unsigned n, const H5E_error2_t *error, void *data) {
    (void)n;
    lmzoo_h5_message *message = (lmzoo_h5_message *)data;
    if (error && error->desc && error->desc[0]) snprintf(message->text, sizeof message->text, "%s", error->desc);
    return 0;
}
static inline lmzoo_h5_message lmzoo_h5_last_error(void) {
    lmzoo_h5_message message;
    message.text[0] = 0;
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_DOWNWARD, lmzoo_h5_walk, &message);
    return message;
}

#include <sys/syscall.h>
#include <unistd.h>

// An unnamed in-memory file (memfd_create, close-on-exec) for handing an HDF5 image to the
// crash-guard probe process; -1 where the kernel or headers lack it. Glibc's wrapper needs
// _GNU_SOURCE, which Swift's Glibc module does not define, hence the raw system call.
static inline int lmzoo_memfd_create(const char *name) {
#ifdef SYS_memfd_create
    return (int)syscall(SYS_memfd_create, name, 1u /* MFD_CLOEXEC */);
#else
    (void)name;
    return -1;
#endif
}

#include <spawn.h>

// glibc 2.34+ closes every descriptor from `from` up in a spawned child; its declaration needs
// _GNU_SOURCE, which Swift's Glibc module does not define, so it is declared here (weakly: older
// glibc lacks it, and then nothing is closed).
extern int posix_spawn_file_actions_addclosefrom_np(posix_spawn_file_actions_t *, int) __attribute__((weak));

/// Adds "close every descriptor >= from" to `actions`; -1 where glibc cannot.
static inline int lmzoo_spawn_close_from(posix_spawn_file_actions_t *actions, int from) {
    if (posix_spawn_file_actions_addclosefrom_np == 0) return -1;
    return posix_spawn_file_actions_addclosefrom_np(actions, from);
}

#include <dlfcn.h>

// Object headers libhdf5 holds in memory now: allocated from its object-header free list and not
// given back (libhdf5 1.10's exported `H5_H5O_t_reg_free_list`, whose head starts with
// `unsigned init, allocated, onlist`). A check for tests: with no file open it is 0, and more
// means libhdf5 leaked a header. -1 where this libhdf5 does not export the list.
static inline long lmzoo_h5_live_object_headers(void) {
    void *self = dlopen(NULL, RTLD_LAZY);
    if (!self) return -1;
    const unsigned *head = (const unsigned *)dlsym(self, "H5_H5O_t_reg_free_list");
    dlclose(self);
    if (!head) return -1;
    return (long)head[1] - (long)head[2];
}
