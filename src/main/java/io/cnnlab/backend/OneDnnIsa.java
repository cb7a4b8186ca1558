package io.cnnlab.backend;

import org.bytedeco.dnnl.global.dnnl;

import java.util.Map;

/**
 * The instruction set oneDNN's CPU kernels use in this process: the best the CPU has, capped by
 * {@code ONEDNN_MAX_CPU_ISA} (read once, when oneDNN starts). Which kernels exist depends on it: f32
 * Winograd convolution and JIT max pooling on plain NCHW, for example, only from AVX-512 on.
 */
public final class OneDnnIsa {
    private static final Map<Integer, String> NAMES = Map.ofEntries(
            Map.entry(dnnl.dnnl_cpu_isa_all, "all"),
            Map.entry(dnnl.dnnl_cpu_isa_sse41, "sse41"),
            Map.entry(dnnl.dnnl_cpu_isa_avx, "avx"),
            Map.entry(dnnl.dnnl_cpu_isa_avx2, "avx2"),
            Map.entry(dnnl.dnnl_cpu_isa_avx2_vnni, "avx2_vnni"),
            Map.entry(dnnl.dnnl_cpu_isa_avx512_mic, "avx512_mic"),
            Map.entry(dnnl.dnnl_cpu_isa_avx512_mic_4ops, "avx512_mic_4ops"),
            Map.entry(dnnl.dnnl_cpu_isa_avx512_core, "avx512_core"),
            Map.entry(dnnl.dnnl_cpu_isa_avx512_core_vnni, "avx512_core_vnni"),
            Map.entry(dnnl.dnnl_cpu_isa_avx512_core_bf16, "avx512_core_bf16"),
            Map.entry(dnnl.dnnl_cpu_isa_avx512_core_amx, "avx512_core_amx"));

    private OneDnnIsa() {
    }

    /** oneDNN's name for the effective ISA, e.g. "avx512_core" or "avx2". */
    public static String effective() {
        int isa = dnnl.dnnl_get_effective_cpu_isa();
        return NAMES.getOrDefault(isa, "isa-0x" + Integer.toHexString(isa));
    }

    /** Whether AVX-512 kernels (among them f32 Winograd convolution) are in use. */
    public static boolean avx512() {
        return effective().startsWith("avx512_core");
    }
}
