import CHDF5
import CZip

/// Versions of the C libraries the formats link against (shown by `lmzoo list`).
public enum NativeLibraries {
    /// HDF5's version, e.g. `1.10.8`.
    public static var hdf5Version: String {
        HDF5.withLock {
            var major: UInt32 = 0, minor: UInt32 = 0, release: UInt32 = 0
            H5get_libversion(&major, &minor, &release)
            return "\(major).\(minor).\(release)"
        }
    }

    /// libzip's version, e.g. `1.7.3`.
    public static var libzipVersion: String { String(cString: zip_libzip_version()) }
}
