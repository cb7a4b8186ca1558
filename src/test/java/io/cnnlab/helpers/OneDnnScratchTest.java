package io.cnnlab.helpers;

import org.bytedeco.javacpp.Pointer;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The per-thread scratch buffers the oneDNN helpers bind their reordered arguments to. */
class OneDnnScratchTest {

    @Test
    void aFailedAllocationLeavesNoClosedBufferBehind() {
        OneDnnPlan.Scratch scratch = new OneDnnPlan.Scratch();
        Pointer small = scratch.buffer(0, 1024);
        assertNotEquals(0, small.address());
        assertTrue((small.address() + small.position()) % 64 == 0, "64-byte aligned where native code reads it");
        // More than JavaCPP may allocate (past its maxBytes, or a terabyte malloc refuses when maxBytes is 0,
        // unlimited): it throws rather than return null.
        long tooMuch = Math.max(Pointer.maxBytes(), 1L << 40) + (1L << 20);
        assertThrows(OutOfMemoryError.class, () -> scratch.buffer(0, tooMuch));
        // The old buffer was freed to make room; a later call must not get it back (oneDNN would write through it).
        Pointer again = scratch.buffer(0, 512);
        assertNotEquals(0, again.address(), "a live buffer, not the closed one");
        assertTrue((again.address() + again.position()) % 64 == 0 && !again.isNull());
    }
}
