package io.cnnlab.inference;

import io.cnnlab.UserException;

import java.util.Arrays;
import java.util.Locale;

/**
 * Which transformed copies of each image a model sees at inference, their class probabilities averaged.
 * Crop/flip training augmentation makes an image's mirror image and its small shifts as likely as the
 * image itself, so averaging the network's answers over them removes part of its variance.
 */
public enum TestTimeAugmentation {
    /** The image alone: the network's own output. */
    NONE("none", "none"),
    /** The image and its mirror image (flipped along the width), weighted equally: two passes. */
    FLIP("flip", "horizontal flip"),
    /**
     * airbench's level 2: half the weight on {@link #FLIP} of the image, a quarter each on {@link #FLIP} of the
     * image shifted by one pixel up-left and by one pixel down-right, its border reflected: six passes.
     */
    FLIP_TRANSLATE("flip-translate", "horizontal flip and 1-pixel translations");

    private final String option;
    private final String description;

    TestTimeAugmentation(String option, String description) {
        this.option = option;
        this.description = description;
    }

    /** The name {@code evaluate --tta} takes. */
    public String option() {
        return option;
    }

    /** What evaluation.json records. */
    public String description() {
        return description;
    }

    /** The augmentation named {@code option} as {@link #option()} spells it; anything else is a user error. */
    public static TestTimeAugmentation parse(String option) {
        String o = option.strip().toLowerCase(Locale.ROOT);
        return Arrays.stream(values()).filter(t -> t.option.equals(o)).findFirst()
                .orElseThrow(() -> new UserException("--tta must be one of " + String.join(", ",
                        Arrays.stream(values()).map(TestTimeAugmentation::option).toList()) + ", got '" + option + "'"));
    }
}
