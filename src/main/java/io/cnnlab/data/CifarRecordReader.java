package io.cnnlab.data;

import io.cnnlab.UserException;
import org.datavec.api.conf.Configuration;
import org.datavec.api.records.Record;
import org.datavec.api.records.metadata.RecordMetaData;
import org.datavec.api.records.metadata.RecordMetaDataIndex;
import org.datavec.api.records.reader.BaseRecordReader;
import org.datavec.api.split.FileSplit;
import org.datavec.api.split.InputSplit;
import org.datavec.api.writable.IntWritable;
import org.datavec.api.writable.NDArrayWritable;
import org.datavec.api.writable.Writable;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

import java.io.DataInputStream;
import java.io.File;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A DataVec {@code RecordReader} over CIFAR images from any source cnnlab reads (the official binary
 * release, an image tree as a folder, .tar.gz or .zip, or the decoded cache): each record is the image
 * as an {@link NDArrayWritable} of shape [1, 3, 32, 32] (one example, channels, height, width: the
 * leading 1 is what DataVec's {@code ImageRecordReader} gives and what {@code RecordReaderDataSetIterator}
 * stacks into a batch), RGB, values v / 255 as {@code ToTensor()} gives them, then the label as an
 * {@link IntWritable}. With {@code RecordReaderDataSetIterator(reader,
 * batch, 1, numClasses)} and {@link Normalization#normalizer()} it yields exactly the batches
 * {@link InMemoryIterator} gives for the same seed and epoch.
 *
 * <p>Shuffled, epoch e visits the images in {@link InMemoryIterator}'s order for (seed, e); a
 * {@link #reset} after a whole epoch moves to the next epoch, as DL4J resets an iterator between epochs.
 */
public class CifarRecordReader extends BaseRecordReader {
    /** Configuration key for {@link #initialize(Configuration, InputSplit)}: "train" (default) or "test". */
    public static final String SPLIT = "cnnlab.split";
    /** Configuration key: the shuffle seed; absent means the images in stored order. */
    public static final String SEED = "cnnlab.seed";

    private LabeledImages images;
    private Long seed;
    private int[] order;
    private int epoch;
    private int cursor;
    private Configuration conf;
    private Augmentation augmentation = Augmentation.NONE;

    /** A reader to be {@link #initialize initialised} from a source path. */
    public CifarRecordReader() {
    }

    /** A reader over {@code images}, in stored order ({@code seed} null) or shuffled per epoch from {@code seed}. */
    public CifarRecordReader(LabeledImages images, Long seed) {
        use(images, seed);
    }

    private void use(LabeledImages images, Long seed) {
        this.images = images;
        this.seed = seed;
        setEpoch(0);
    }

    /** Turns crop/flip {@link Augmentation} on (shuffled training records) or off; returns this reader. */
    public CifarRecordReader augment(boolean on) {
        return augment(Augmentation.cropFlip(on));
    }

    /** Augments every record as {@code a} says ({@link Augmentation#NONE}: not at all); returns this reader. */
    public CifarRecordReader augment(Augmentation a) {
        this.augmentation = Objects.requireNonNull(a);
        return this;
    }

    /** Positions the reader at the start of epoch {@code e} (0-based), with that epoch's order. */
    public void setEpoch(int e) {
        this.epoch = e;
        this.order = seed == null ? InMemoryIterator.inOrderIndices(images.size())
                : InMemoryIterator.shuffledIndices(images.size(), seed, e);
        this.cursor = 0;
    }

    public int epoch() {
        return epoch;
    }

    /** Skips {@code n} records of the current epoch, as a run resumed within an epoch must. */
    public void skip(int n) {
        cursor = Math.min(order.length, cursor + n);
    }

    public int numExamples() {
        return images.size();
    }

    /** Reads the source at the split's location (see {@link DataSources#decode}); the training images. */
    @Override
    public void initialize(InputSplit split) {
        initialize(new Configuration(), split);
    }

    /** As {@link #initialize(InputSplit)}, with {@link #SPLIT} and {@link #SEED} read from {@code conf}. */
    @Override
    public void initialize(Configuration conf, InputSplit split) {
        this.conf = conf;
        // The source is the split's own path: a FileSplit over a folder lists its files, its root is the folder.
        File source;
        if (split instanceof FileSplit fs) {
            source = fs.getRootDir();
        } else if (split.locations() != null && split.locations().length == 1) {
            source = new File(split.locations()[0]);
        } else {
            throw new UserException("give the reader a FileSplit of the CIFAR source's path (a file or folder)");
        }
        CifarData data = DataSources.decode(source.toPath());
        String which = conf.get(SPLIT, "train");
        LabeledImages chosen = switch (which) {
            case "train" -> data.train();
            case "test" -> data.test();
            default -> throw new UserException(SPLIT + " must be train or test, got " + which);
        };
        String s = conf.get(SEED);
        use(chosen, s == null ? null : Long.parseLong(s));
    }

    @Override
    public boolean hasNext() {
        return cursor < order.length;
    }

    @Override
    public List<Writable> next() {
        int position = cursor++;
        int i = order[position];
        float[] pixels = new float[LabeledImages.IMAGE_BYTES];
        byte[] all = images.pixels();
        int base = i * LabeledImages.IMAGE_BYTES;
        if (augmentation.isOn()) {
            all = new byte[LabeledImages.IMAGE_BYTES];
            augmentation.apply(images.pixels(), base, all, seed == null ? 0 : seed, epoch, position);
            base = 0;
        }
        for (int k = 0; k < pixels.length; k++) {
            pixels[k] = (all[base + k] & 0xFF) / 255f;
        }
        List<Writable> record = new ArrayList<>(2);
        record.add(new NDArrayWritable(Nd4j.create(pixels, new long[] {1, 3, LabeledImages.SIDE, LabeledImages.SIDE},
                DataType.FLOAT)));
        record.add(new IntWritable(images.label(i)));
        return record;
    }

    @Override
    public List<String> getLabels() {
        return images.classNames();
    }

    /**
     * After a whole epoch, the next epoch's order (DL4J resets between epochs); within an epoch, the
     * current epoch from its start ({@code RecordReaderDataSetIterator} reads one record to learn the
     * shapes and then resets).
     */
    @Override
    public void reset() {
        setEpoch(hasNext() ? epoch : epoch + 1);
    }

    @Override
    public boolean resetSupported() {
        return true;
    }

    @Override
    public Record nextRecord() {
        int index = order[cursor];
        return new org.datavec.api.records.impl.Record(next(), new RecordMetaDataIndex(index, null, CifarRecordReader.class));
    }

    @Override
    public Record loadFromMetaData(RecordMetaData recordMetaData) {
        return loadFromMetaData(List.of(recordMetaData)).get(0);
    }

    @Override
    public List<Record> loadFromMetaData(List<RecordMetaData> recordMetaDatas) {
        List<Record> out = new ArrayList<>();
        for (RecordMetaData m : recordMetaDatas) {
            int index = (int) ((RecordMetaDataIndex) m).getIndex();
            int[] saved = order;
            int savedCursor = cursor;
            order = new int[] {index};
            cursor = 0;
            out.add(new org.datavec.api.records.impl.Record(next(), m));
            order = saved;
            cursor = savedCursor;
        }
        return out;
    }

    @Override
    public List<Writable> record(URI uri, DataInputStream dataInputStream) {
        throw new UnsupportedOperationException("CIFAR records come from a whole source, not one stream");
    }

    @Override
    public void close() {
    }

    @Override
    public void setConf(Configuration conf) {
        this.conf = conf;
    }

    @Override
    public Configuration getConf() {
        return conf;
    }
}
