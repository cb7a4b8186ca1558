package io.cnnlab.data;

import io.cnnlab.UserException;

import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.MemoryCacheImageInputStream;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.awt.image.DataBufferByte;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.Iterator;

/**
 * Decodes PNG/JPEG bytes into the store's CHW RGB layout.
 *
 * <p>javax.imageio is used rather than DataVec's {@code NativeImageLoader}: it is faster on CIFAR-sized
 * JPEGs and needs no OpenCV start-up, decodes straight from archive bytes, keeps ~660 MB of OpenCV
 * natives out of the build, and gives RGB where OpenCV gives BGR. JPEGs go to the JDK's own reader
 * (native libjpeg), one per thread: with DataVec on the class path, ImageIO would pick TwelveMonkeys'
 * pure-Java reader first, several times slower on a cold JVM.
 */
public final class ImageDecoder {
    private static final String JDK_JPEG_READER = "com.sun.imageio.plugins.jpeg.JPEGImageReader";
    private static final ThreadLocal<ImageReader> JPEG = ThreadLocal.withInitial(ImageDecoder::jdkJpegReader);

    static {
        ImageIO.setUseCache(false);
    }

    private static ImageReader jdkJpegReader() {
        for (Iterator<ImageReader> it = ImageIO.getImageReadersByFormatName("jpeg"); it.hasNext(); ) {
            ImageReader r = it.next();
            if (r.getClass().getName().equals(JDK_JPEG_READER)) {
                return r;
            }
        }
        return null;
    }

    private static boolean isJpeg(byte[] data) {
        return data.length > 3 && (data[0] & 0xFF) == 0xFF && (data[1] & 0xFF) == 0xD8 && (data[2] & 0xFF) == 0xFF;
    }

    private ImageDecoder() {
    }

    public static boolean isImageFile(String path) {
        String p = path.toLowerCase();
        return p.endsWith(".png") || p.endsWith(".jpg") || p.endsWith(".jpeg") || p.endsWith(".bmp") || p.endsWith(".gif");
    }

    /** Decodes {@code data}; a file ImageIO cannot read is a {@link UserException} naming {@code name}. */
    public static BufferedImage decode(byte[] data, String name) {
        BufferedImage img;
        try {
            ImageReader jpeg = isJpeg(data) ? JPEG.get() : null;
            if (jpeg != null) {
                try (ImageInputStream in = new MemoryCacheImageInputStream(new ByteArrayInputStream(data))) {
                    jpeg.setInput(in, true, true);
                    img = jpeg.read(0);
                } finally {
                    jpeg.setInput(null);
                }
            } else {
                img = ImageIO.read(new ByteArrayInputStream(data));
            }
        } catch (IOException | RuntimeException e) {
            throw new UserException("cannot decode image " + name + " (" + e.getMessage()
                    + "); the file is corrupt or not an image: replace or remove it");
        }
        if (img == null) {
            throw new UserException("cannot decode image " + name + ": not a PNG, JPEG, BMP or GIF file");
        }
        return img;
    }

    /** Writes a 32x32 image into {@code dst} at {@code offset} as R, G and B planes. */
    public static void toChw(BufferedImage img, byte[] dst, int offset) {
        int w = LabeledImages.SIDE;
        int plane = LabeledImages.PLANE;
        if (img.getType() == BufferedImage.TYPE_3BYTE_BGR && img.getRaster().getDataBuffer() instanceof DataBufferByte db
                && img.getRaster().getSampleModelTranslateX() == 0) {
            byte[] bgr = db.getData();
            for (int p = 0; p < plane; p++) {
                dst[offset + p] = bgr[3 * p + 2];
                dst[offset + plane + p] = bgr[3 * p + 1];
                dst[offset + 2 * plane + p] = bgr[3 * p];
            }
            return;
        }
        int[] argb = img.getRGB(0, 0, w, w, null, 0, w);
        for (int p = 0; p < plane; p++) {
            dst[offset + p] = (byte) (argb[p] >> 16);
            dst[offset + plane + p] = (byte) (argb[p] >> 8);
            dst[offset + 2 * plane + p] = (byte) argb[p];
        }
    }

    /** Any image scaled to 32x32 (bilinear, in steps of at most 2x so large photos are not aliased). */
    public static BufferedImage resizeTo32(BufferedImage img) {
        if (img.getWidth() == LabeledImages.SIDE && img.getHeight() == LabeledImages.SIDE) {
            return img;
        }
        BufferedImage cur = img;
        int w = cur.getWidth();
        int h = cur.getHeight();
        int side = LabeledImages.SIDE;
        do {
            w = Math.max(side, w / 2 >= side ? w / 2 : side);
            h = Math.max(side, h / 2 >= side ? h / 2 : side);
            if (cur.getWidth() < side || cur.getHeight() < side) {
                w = side;
                h = side;
            }
            BufferedImage next = new BufferedImage(w, h, BufferedImage.TYPE_3BYTE_BGR);
            Graphics2D g = next.createGraphics();
            g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
            g.drawImage(cur, 0, 0, w, h, null);
            g.dispose();
            cur = next;
        } while (cur.getWidth() != side || cur.getHeight() != side);
        return cur;
    }
}
