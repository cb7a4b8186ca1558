package io.cnnlab.inference;

import io.cnnlab.UserException;
import io.cnnlab.data.Normalization;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Several trained models used as one: the class probabilities of each image averaged over the members, the
 * usual way independently trained networks are combined. Their errors are partly independent, so the
 * average is right more often than a member (docs/recipes.md measures it on CIFAR-2). The members must
 * take the same input, normalised the same way, and name the same classes in the same order; they may be
 * of different architectures.
 * <pre>{@code
 * Ensemble e = Ensemble.load(List.of(Path.of("runs/a/model.zip"), Path.of("runs/b/model.zip")));
 * INDArray p = e.output(features, TestTimeAugmentation.FLIP); // [n, classes]
 * }</pre>
 */
public final class Ensemble {
    private final List<CnnlabModel> members;

    private Ensemble(List<CnnlabModel> members) {
        this.members = List.copyOf(members);
    }

    /** Loads each zip as {@link CnnlabModel#load(Path)} does and checks they can be combined. */
    public static Ensemble load(List<Path> zips) {
        return load(zips, null);
    }

    /** As {@link #load(List)}, loading each zip as {@link CnnlabModel#load(Path, Consumer)} does. */
    public static Ensemble load(List<Path> zips, Consumer<String> assumptions) {
        Set<Path> seen = new HashSet<>();
        for (Path z : zips) {
            if (!seen.add(z.toAbsolutePath().normalize())) {
                throw new UserException(z + " is given twice; give each model of an ensemble once");
            }
        }
        List<CnnlabModel> models = new ArrayList<>();
        for (Path z : zips) {
            models.add(CnnlabModel.load(z, assumptions));
        }
        return of(models, zips);
    }

    /** An ensemble of loaded models; {@code names} (one per model) name them in error messages. */
    public static Ensemble of(List<CnnlabModel> models, List<?> names) {
        if (models.isEmpty() || models.size() != names.size()) {
            throw new IllegalArgumentException("one name per model, and at least one model");
        }
        CnnlabModel first = models.get(0);
        for (int i = 1; i < models.size(); i++) {
            CnnlabModel m = models.get(i);
            String pair = names.get(0) + " and " + names.get(i);
            if (!m.classes().equals(first.classes())) {
                throw new UserException(pair + " name different classes (" + first.classes() + " against "
                        + m.classes() + "); an ensemble needs models of one dataset");
            }
            if (!sameNormalization(m.normalization(), first.normalization())
                    || !m.info().input().shape().equals(first.info().input().shape())) {
                throw new UserException(pair + " take differently shaped or normalised inputs (their model.json);"
                        + " an ensemble needs models that take the same input");
            }
        }
        return new Ensemble(models);
    }

    private static boolean sameNormalization(Normalization a, Normalization b) {
        return Arrays.equals(a.mean(), b.mean()) && Arrays.equals(a.std(), b.std());
    }

    public List<CnnlabModel> members() {
        return members;
    }

    public List<String> classes() {
        return members.get(0).classes();
    }

    public Normalization normalization() {
        return members.get(0).normalization();
    }

    /**
     * Class probabilities of {@code features} [n, 3, h, w] (normalised), [n, classes]: the members' outputs
     * under {@link CnnlabModel#output(INDArray, TestTimeAugmentation) test-time augmentation} {@code tta},
     * averaged. One member and {@link TestTimeAugmentation#NONE} gives exactly that network's output.
     */
    public INDArray output(INDArray features, TestTimeAugmentation tta) {
        INDArray sum = null;
        for (CnnlabModel m : members) {
            INDArray p = m.output(features, tta);
            sum = sum == null ? p.dup() : sum.addi(p);
        }
        return members.size() == 1 ? sum : sum.divi(members.size());
    }
}
