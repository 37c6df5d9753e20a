package dev.logitlens.table;

/** The value type of a {@link TableColumn}: Java arrays {@code int[]}, {@code float[]}, {@code double[]} or {@code String[]}. */
public enum ColumnType {
    INT32,
    FLOAT32,
    FLOAT64,
    STRING
}
