package io.cnnlab.util;

import io.cnnlab.backend.Backend;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.memory.conf.WorkspaceConfiguration;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HostFloatsTest {

    @Test
    void readsAndWritesAViewAtItsOffsetOnly() {
        Backend.configure();
        INDArray big = Nd4j.arange(24).castTo(DataType.FLOAT).reshape(2, 3, 2, 2);
        INDArray second = big.get(NDArrayIndex.point(1), NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.all());
        assertTrue(HostFloats.usable(second));
        float[] read = new float[12];
        HostFloats.read(second, read);
        assertArrayEquals(second.dup().ravel().toFloatVector(), read);
        assertArrayEquals(new float[] {12, 13, 14}, java.util.Arrays.copyOf(read, 3));

        float[] ones = new float[12];
        java.util.Arrays.fill(ones, -1f);
        HostFloats.write(ones, second);
        float[] all = big.ravel().toFloatVector();
        for (int i = 0; i < 24; i++) {
            assertTrue(i < 12 ? all[i] == i : all[i] == -1f, "element " + i + " = " + all[i]);
        }
    }

    @Test
    void usableOnlyForContiguousFloatArrays() {
        INDArray m = Nd4j.rand(DataType.FLOAT, 4, 5);
        assertTrue(HostFloats.usable(m));
        assertTrue(HostFloats.usable(m.getRow(2, true)), "a row: its size-1 dimension's stride does not matter");
        assertTrue(HostFloats.usable(Nd4j.rand(DataType.FLOAT, 1, 8, 1, 1)));
        assertFalse(HostFloats.usable(m.transpose()), "transposed: not C order in memory");
        assertFalse(HostFloats.usable(m.getColumn(1, true)), "a column: strided");
        assertFalse(HostFloats.usable(m.castTo(DataType.DOUBLE)), "not float32");

        float[] transposed = new float[20];
        HostFloats.read(m.transpose(), transposed);
        assertArrayEquals(m.transpose().dup('c').ravel().toFloatVector(), transposed, "read copies others in C order");
    }

    @Test
    void keptArraysLiveOutsideWorkspacesAndAreRemadeOnlyForANewShape() {
        Backend.configure();
        WorkspaceConfiguration conf = WorkspaceConfiguration.builder().initialSize(1 << 20).build();
        try (MemoryWorkspace ws = Nd4j.getWorkspaceManager().getAndActivateWorkspace(conf, "HostFloatsTest")) {
            INDArray a = HostFloats.kept(null, 2, 3);
            assertFalse(a.isAttached(), "made outside the open workspace, so it outlives it");
            assertArrayEquals(new long[] {2, 3}, a.shape());
            assertSame(a, HostFloats.kept(a, 2, 3), "same shape: the same array");
            INDArray b = HostFloats.kept(a, 3, 2);
            assertNotSame(a, b);
            assertArrayEquals(new long[] {3, 2}, b.shape());
            assertFalse(b.isAttached());
        }
    }
}
