package io.cnnlab.testing;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Exact comparison of ND4J arrays. {@code assertEquals} on two INDArrays calls {@code INDArray.equals},
 * which allows a difference of 1e-5 per element; where a test claims "exact" or "bitwise" it uses this.
 */
public final class Exact {
    private Exact() {
    }

    /** Same shape, same data type and, element by element, the same bits (so NaN equals NaN and -0 differs from 0). */
    public static void assertBitwiseEquals(INDArray expected, INDArray actual, String what) {
        assertEquals(Arrays.toString(expected.shape()), Arrays.toString(actual.shape()), what + ": shape");
        assertEquals(expected.dataType(), actual.dataType(), what + ": data type");
        double[] e = expected.dup('c').castTo(DataType.DOUBLE).data().asDouble();
        double[] a = actual.dup('c').castTo(DataType.DOUBLE).data().asDouble();
        for (int i = 0; i < e.length; i++) {
            if (Double.doubleToRawLongBits(e[i]) != Double.doubleToRawLongBits(a[i])) {
                long differing = 0;
                for (int j = i; j < e.length; j++) {
                    differing += Double.doubleToRawLongBits(e[j]) != Double.doubleToRawLongBits(a[j]) ? 1 : 0;
                }
                fail(what + ": element " + i + " is " + a[i] + ", expected exactly " + e[i] + " (" + differing + " of "
                        + e.length + " elements differ)");
            }
        }
    }
}
