package io.cnnlab.backend;

import com.sun.jna.Function;
import com.sun.jna.NativeLibrary;

import java.util.Locale;

/**
 * glibc's {@code malloc_trim(0)}, called through JNA (already on ND4J's class path; JavaCPP 1.5.7 has no
 * binding for it). A no-op where the C library is not glibc (macOS, Windows, musl), where freed memory
 * is returned by other rules.
 */
final class GlibcTrim {
    private static final Function MALLOC_TRIM = find();

    private GlibcTrim() {
    }

    private static Function find() {
        if (!System.getProperty("os.name", "").toLowerCase(Locale.ROOT).contains("linux")) {
            return null;
        }
        try {
            return NativeLibrary.getInstance("c").getFunction("malloc_trim");
        } catch (UnsatisfiedLinkError | RuntimeException notGlibc) {
            return null;
        }
    }

    /** True if glibc's heaps were trimmed; false where there is nothing to call or it released nothing. */
    static boolean trim() {
        return MALLOC_TRIM != null && MALLOC_TRIM.invokeInt(new Object[]{0}) == 1;
    }
}
