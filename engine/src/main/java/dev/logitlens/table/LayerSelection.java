package dev.logitlens.table;

import java.util.TreeSet;

/** Parses {@code --layers} (of the command line and the Spark job): {@code all}, or a comma list of layers and ranges ({@code 0,6,10-12}); {@code last} is n_layer. */
public final class LayerSelection {

    private LayerSelection() {
    }

    /** The chosen layers, ascending; {@link IllegalArgumentException} with a message for a bad list. */
    public static int[] parse(String spec, int nLayers) {
        if (spec == null || spec.isBlank() || spec.strip().equals("all")) {
            int[] all = new int[nLayers + 1];
            for (int i = 0; i <= nLayers; i++) {
                all[i] = i;
            }
            return all;
        }
        TreeSet<Integer> layers = new TreeSet<>();
        for (String part : spec.split(",")) {
            String item = part.strip();
            int dash = item.indexOf('-', 1);
            int from = layer(dash < 0 ? item : item.substring(0, dash), nLayers, spec);
            int to = dash < 0 ? from : layer(item.substring(dash + 1), nLayers, spec);
            if (to < from) {
                throw new IllegalArgumentException("--layers " + spec + ": the range " + item + " runs backwards");
            }
            for (int layer = from; layer <= to; layer++) {
                layers.add(layer);
            }
        }
        return layers.stream().mapToInt(Integer::intValue).toArray();
    }

    private static int layer(String text, int nLayers, String spec) {
        String item = text.strip();
        int layer;
        if (item.equals("last")) {
            layer = nLayers;
        } else {
            try {
                layer = Integer.parseInt(item);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("--layers " + spec + ": '" + item + "' is not a layer (use numbers, ranges like 2-5, last or all)");
            }
        }
        if (layer < 0 || layer > nLayers) {
            throw new IllegalArgumentException("--layers " + spec + ": layer " + layer + " is outside the model's 0.." + nLayers);
        }
        return layer;
    }
}
