package io.cnnlab.backend;

import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer.AlgoMode;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer.BwdDataAlgo;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer.BwdFilterAlgo;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer.FwdAlgo;
import org.deeplearning4j.nn.gradient.DefaultGradient;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.layers.convolution.ConvolutionHelper;
import org.deeplearning4j.nn.params.ConvolutionParamInitializer;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
import org.nd4j.linalg.api.ops.OpContext;
import org.nd4j.linalg.factory.Nd4j;

import java.util.Map;

/**
 * The helper of a convolution that reads the network's input (the images): its backward pass computes
 * the weight and bias gradients only. The gradient with respect to the images is never used in
 * training, yet DL4J's oneDNN helper computes it, and for 3 input channels oneDNN picks a Winograd
 * kernel for it that took 8.1 ms of a 32-image step on this machine: more than half of a {@code net}
 * worker's oneDNN time (measured with {@code DNNL_VERBOSE=1}).
 *
 * <p>The weight gradient {@code dW[o,c,i,j] = sum over n,y,x of dy[n,o,y,x] * x[n,c,y+i-p,x+j-p]} is
 * itself a forward convolution, of the input with the batch taken as channels and {@code dy} as the
 * kernel, which oneDNN runs fast (1.2 ms for that step in isolation, against 2.1 ms for both gradients).
 * Forward passes and other cases (strides, dilation, "same" mode, NHWC) go to DL4J's helper.
 */
public final class InputConvolutionHelper implements ConvolutionHelper {
    private final ConvolutionHelper dl4j;
    private final INDArray[] buffers = new INDArray[3];
    // One per helper, its arguments set once, as DL4J's helpers keep theirs: native buffers made per call
    // (a context, its argument list) are freed only at a GC, which this loop's small heap rarely needs.
    private OpContext context;

    InputConvolutionHelper(ConvolutionHelper dl4j) {
        this.dl4j = dl4j;
    }

    /** DL4J's own helper, which every call but the weight-gradient-only backward pass goes to. */
    public ConvolutionHelper dl4j() {
        return dl4j;
    }

    @Override
    public INDArray preOutput(INDArray input, INDArray weights, INDArray bias, int[] kernel, int[] strides, int[] pad,
                              AlgoMode mode, FwdAlgo fwdAlgo, ConvolutionMode convolutionMode, int[] dilation,
                              CNN2DFormat format, LayerWorkspaceMgr mgr) {
        return dl4j.preOutput(input, weights, bias, kernel, strides, pad, mode, fwdAlgo, convolutionMode, dilation, format,
                mgr);
    }

    @Override
    public INDArray activate(INDArray z, IActivation afn, boolean training) {
        return dl4j.activate(z, afn, training);
    }

    @Override
    public Pair<Gradient, INDArray> backpropGradient(INDArray input, INDArray weights, INDArray bias, INDArray delta,
                                                     int[] kernel, int[] strides, int[] pad, INDArray biasGradView,
                                                     INDArray weightGradView, IActivation afn, AlgoMode mode,
                                                     BwdFilterAlgo bwdFilterAlgo, BwdDataAlgo bwdDataAlgo,
                                                     ConvolutionMode convolutionMode, int[] dilation, CNN2DFormat format,
                                                     LayerWorkspaceMgr mgr) {
        boolean plain = format == CNN2DFormat.NCHW && convolutionMode != ConvolutionMode.Same
                && input.dataType() == DataType.FLOAT && delta.dataType() == DataType.FLOAT
                && strides[0] == 1 && strides[1] == 1 && dilation[0] == 1 && dilation[1] == 1;
        if (!plain) {
            return dl4j.backpropGradient(input, weights, bias, delta, kernel, strides, pad, biasGradView, weightGradView,
                    afn, mode, bwdFilterAlgo, bwdDataAlgo, convolutionMode, dilation, format, mgr);
        }
        long n = input.size(0);
        INDArray xt = buffer(0, input.size(1), n, input.size(2), input.size(3));
        swapBatchAndChannels(input, xt);
        INDArray dyt = buffer(1, delta.size(1), n, delta.size(2), delta.size(3));
        float[] dy = swapBatchAndChannels(delta, dyt);
        INDArray dwt = buffer(2, input.size(1), delta.size(1), kernel[0], kernel[1]);
        // libnd4j conv2d: kernel h, w, stride h, w, padding h, w, dilation h, w, same mode, NHWC, weights as [out, in, h, w]
        if (context == null || context.numIArguments() == 0 || context.getIArguments().get(0) != delta.size(2)) {
            context = Nd4j.getExecutioner().buildContext();
            context.setIArguments(delta.size(2), delta.size(3), 1, 1, pad[0], pad[1], 1, 1, 0, 0, 1);
        }
        context.purge();
        context.setInputArray(0, xt);
        context.setInputArray(1, dyt);
        context.setOutputArray(0, dwt);
        Nd4j.exec(new DynamicCustomOp("conv2d", new INDArray[0], new INDArray[0]), context);
        weightGradView.assign(dwt.permute(1, 0, 2, 3));

        Gradient g = new DefaultGradient();
        Map<String, INDArray> grads = g.gradientForVariable();
        if (bias != null && biasGradView != null) {
            HostFloats.put(channelSums(dy, delta), biasGradView);
            grads.put(ConvolutionParamInitializer.BIAS_KEY, biasGradView);
        }
        grads.put(ConvolutionParamInitializer.WEIGHT_KEY, weightGradView);
        return new Pair<>(g, null); // no gradient for the images: DL4J passes it to the input vertex, which drops it
    }

    /**
     * {@code a} [N, C, H, W] into {@code t} [C, N, H, W], as whole H·W runs between host copies; returns the
     * host copy of {@code a}. ND4J's {@code t.assign(a.permute(1, 0, 2, 3))} is an element-by-element
     * strided loop (profiled: 4% of a {@code net} step).
     */
    private static float[] swapBatchAndChannels(INDArray a, INDArray t) {
        int n = (int) a.size(0);
        int ch = (int) a.size(1);
        int hw = (int) (a.size(2) * a.size(3));
        float[] src = HostFloats.scratch(0, a.length());
        float[] dst = HostFloats.scratch(1, a.length());
        HostFloats.read(a, src);
        for (int i = 0; i < n; i++) {
            for (int k = 0; k < ch; k++) {
                System.arraycopy(src, (i * ch + k) * hw, dst, (k * n + i) * hw, hw);
            }
        }
        HostFloats.write(dst, t);
        return src;
    }

    /**
     * Per-channel sums of {@code a} (NCHW) from its host copy {@code v}. Not ND4J's {@code sum(0, 2, 3)}:
     * called every step, it made a {@code net} run's RSS grow by ~40 MB per 10 s (native memory that only
     * a GC frees); with this loop the RSS stays flat.
     */
    private static float[] channelSums(float[] v, INDArray a) {
        int n = (int) a.size(0);
        int ch = (int) a.size(1);
        int hw = (int) (a.size(2) * a.size(3));
        float[] sums = new float[ch];
        for (int i = 0; i < n; i++) {
            for (int k = 0; k < ch; k++) {
                sums[k] += (float) HostFloats.sum(v, (i * ch + k) * hw, hw);
            }
        }
        return sums;
    }

    /**
     * The transposed copies, kept from step to step outside DL4J's workspaces (re-made when the batch size
     * changes). Each replica has its own layers, so a helper serves one thread.
     */
    private INDArray buffer(int slot, long... shape) {
        buffers[slot] = HostFloats.kept(buffers[slot], shape);
        return buffers[slot];
    }

    @Override
    public boolean checkSupported() {
        return dl4j.checkSupported();
    }

    @Override
    public Map<String, Long> helperMemoryUse() {
        return dl4j.helperMemoryUse();
    }
}
