package io.cnnlab.helpers;

import io.cnnlab.util.HostFloats;
import org.bytedeco.dnnl.IntMemoryMap;
import org.bytedeco.dnnl.engine;
import org.bytedeco.dnnl.memory;
import org.bytedeco.dnnl.primitive;
import org.bytedeco.dnnl.reorder;
import org.bytedeco.dnnl.stream;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.Pointer;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * What cnnlab's oneDNN helpers share: one layer's oneDNN primitives for one input shape, made once (libnd4j
 * makes them, and their reordered buffers, anew on every call), the memories each call's arrays are bound to,
 * and per-thread scratch buffers for oneDNN's own layouts.
 */
abstract class OneDnnPlan implements AutoCloseable {
    static final engine ENGINE = new engine(engine.kind.cpu, 0);
    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    final List<String> kernels = new ArrayList<>();
    final stream stream;
    private final List<Pointer> owned = new ArrayList<>();
    private final Map<primitive, IntMemoryMap> argMaps = new LinkedHashMap<>();

    OneDnnPlan() {
        stream = own(new stream(ENGINE));
    }

    /**
     * The output height and width and the bottom and right padding that give DL4J's output size (for "same"
     * mode from DL4J's top and left padding); {@code null} where DL4J's truncation cuts off more than the
     * padding, which oneDNN cannot express.
     */
    static long[][] outputAndRightPadding(long[] in, long[] kernel, int[] strides, int[] pad, int[] dilation,
                                          ConvolutionMode mode) {
        long[] out = new long[2];
        long[] padR = new long[2];
        for (int d = 0; d < 2; d++) {
            long extent = (kernel[d] - 1) * dilation[d] + 1;
            out[d] = mode == ConvolutionMode.Same ? (in[2 + d] + strides[d] - 1) / strides[d]
                    : (in[2 + d] + 2L * pad[d] - extent) / strides[d] + 1;
            padR[d] = (out[d] - 1) * strides[d] + extent - in[2 + d] - pad[d];
            if (padR[d] < 0 || out[d] < 1) {
                return null;
            }
        }
        return new long[][] {out, padR};
    }

    /** {@code a}, or a dense C-order copy of it: a plan's memories are bound to an array's data pointer as dense NCHW. */
    static INDArray dense(INDArray a) {
        return HostFloats.usable(a) ? a : a.dup('c');
    }

    /** A new native buffer of {@code bytes} bytes at least, 64-byte aligned as oneDNN's own allocations are. */
    static BytePointer aligned(long bytes) {
        BytePointer b = new BytePointer(bytes + 64);
        return b.position((64 - b.address() % 64) % 64);
    }

    static memory.desc desc(long[] dims, memory.format_tag tag) {
        return new memory.desc(dims, memory.data_type.f32, tag);
    }

    final <T extends Pointer> T own(T p) {
        owned.add(p);
        return p;
    }

    /** Binds {@code args} to {@code p} for every call. */
    final void args(primitive p, Map<Integer, Arg> args) {
        IntMemoryMap m = own(new IntMemoryMap());
        args.forEach((k, a) -> m.put(k, a.inner));
        argMaps.put(p, m);
    }

    final void execute(primitive p) {
        p.execute(stream, argMaps.get(p));
    }

    static Scratch scratch() {
        return SCRATCH.get();
    }

    @Override
    public void close() {
        for (int i = owned.size() - 1; i >= 0; i--) {
            owned.get(i).close();
        }
        owned.clear();
    }

    /**
     * One argument of a primitive: a memory over the call's dense NCHW (OIHW, X) array and, when oneDNN
     * chose another layout, one over a scratch buffer with the reorder between the two.
     */
    final class Arg {
        final memory user;
        final memory inner;
        private final reorder reorder;
        private final int slot;
        // Asked once: every get_desc() makes a native copy that only a GC would free.
        private final long bytes;

        Arg(memory.desc userDesc, memory.desc innerDesc, boolean input, int slot) {
            this.user = own(new memory(userDesc, ENGINE, (Pointer) null));
            boolean same = userDesc.equals(innerDesc);
            this.inner = same ? user : own(new memory(innerDesc, ENGINE, (Pointer) null));
            this.reorder = same ? null : own(input ? new reorder(user, inner) : new reorder(inner, user));
            this.slot = slot;
            this.bytes = innerDesc.get_size();
        }

        /** An argument that lives in a scratch buffer only (a pooling workspace, a temporary output). */
        Arg(memory.desc desc, int slot) {
            this.user = own(new memory(desc, ENGINE, (Pointer) null));
            this.inner = user;
            this.reorder = null;
            this.slot = slot;
            this.bytes = desc.get_size();
        }

        /** An argument in memory the plan owns and fills itself (per-channel values), bound once. */
        Arg(memory.desc desc, Pointer data) {
            this.user = own(new memory(desc, ENGINE, data));
            this.inner = user;
            this.reorder = null;
            this.slot = -1;
            this.bytes = desc.get_size();
        }

        void bind(INDArray a, Scratch s) {
            if (a != null) {
                user.set_data_handle(a.data().addressPointer());
            }
            if (inner != user || a == null) {
                inner.set_data_handle(s.buffer(slot, bytes));
            }
        }

        /** Binds this scratch-only argument to memory its plan owns (of {@link #bytes()} bytes at least). */
        void bindTo(Pointer data) {
            inner.set_data_handle(data);
        }

        long bytes() {
            return bytes;
        }

        void in(INDArray a, Scratch s) {
            bind(a, s);
            if (reorder != null) {
                reorder.execute(stream, user, inner);
            }
        }

        void out() {
            if (reorder != null) {
                reorder.execute(stream, inner, user);
            }
        }
    }

    /**
     * A thread's buffers for oneDNN's layouts, shared by all layers: a call uses them only while it runs.
     * 64-byte aligned, as oneDNN's own allocations are.
     */
    static final class Scratch {
        private static final int SLOTS = 8;
        private final BytePointer[] buffers = new BytePointer[SLOTS];
        private final long[] sizes = new long[SLOTS];

        Pointer buffer(int slot, long bytes) {
            if (sizes[slot] < bytes) {
                BytePointer old = buffers[slot];
                // Forget the old buffer before allocating: if the allocation fails, no later call may get a
                // closed buffer (a null address oneDNN would write through).
                buffers[slot] = null;
                sizes[slot] = 0;
                if (old != null) {
                    old.close();
                }
                buffers[slot] = aligned(bytes);
                sizes[slot] = bytes;
            }
            return buffers[slot];
        }
    }

    /**
     * A layer's plans by input shape: training, the last batch of an epoch and evaluation come in different
     * batch sizes (four shapes a run), and a convolution or pooling layer has a second variant of its training
     * plans for the blocked hand-off ({@link BlockedHandoff}). A {@code null} plan (a shape oneDNN cannot
     * express) is remembered too.
     */
    static final class Cache<P extends OneDnnPlan> {
        private final int maxPlans;
        private final Map<List<Long>, P> plans = new LinkedHashMap<>(8, 0.75f, true);
        private P last;

        Cache() {
            this(8);
        }

        Cache(int maxPlans) {
            this.maxPlans = maxPlans;
        }

        P get(List<Long> key, Supplier<P> make) {
            if (!plans.containsKey(key)) {
                plans.put(key, make.get());
                if (plans.size() > maxPlans) {
                    var eldest = plans.entrySet().iterator();
                    P old = eldest.next().getValue();
                    if (old != null) {
                        old.close();
                    }
                    eldest.remove();
                }
            }
            last = plans.get(key);
            return last;
        }

        /** Closes every plan (their primitives and memories); later calls make them again. */
        void clear() {
            for (P p : plans.values()) {
                if (p != null) {
                    p.close();
                }
            }
            plans.clear();
            last = null;
        }

        /** The plan used last, null if that call went to DL4J. */
        P last() {
            return last;
        }

        /** The oneDNN kernels of the plan used last, empty if that call went to DL4J. */
        List<String> lastKernels() {
            return last == null ? List.of() : last.kernels;
        }

        static List<Long> key(INDArray input, long extra) {
            return key(input.shape(), extra);
        }

        /** The key of a plan for {@code shape}, told apart from the layer's other plans for it by {@code extra}. */
        static List<Long> key(long[] shape, long... extra) {
            List<Long> key = new ArrayList<>(shape.length + extra.length);
            for (long d : shape) {
                key.add(d);
            }
            for (long e : extra) {
                key.add(e);
            }
            return key;
        }
    }
}
