package dev.logitlens.spark;

import dev.logitlens.table.ColumnType;
import dev.logitlens.table.LensRows;
import dev.logitlens.table.TableColumn;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.Metadata;
import org.apache.spark.sql.types.MetadataBuilder;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

import java.util.List;

/**
 * The Spark schemas: the dump's rows, derived from {@link LensRows#columns(int)} (the one definition of the dump's
 * columns, so the Spark rows cannot drift from the command line's Parquet), and the documents a job reads.
 */
public final class LensSchema {

    /** The metadata key of a column's unit ({@link TableColumn#unit()}), kept by Spark's Parquet writer and reader. */
    public static final String UNIT = "unit";
    /** The metadata key of a column's description ({@link TableColumn#description()}). */
    public static final String DESCRIPTION = "description";

    private LensSchema() {
    }

    /**
     * The dump's rows with {@code topK} top tokens: the columns of {@link LensRows#columns(int)}, in order, with the same
     * names, nullability and types (int32 → {@code IntegerType}, float32 → {@code FloatType}, float64 →
     * {@code DoubleType}, string → {@code StringType}); each field's metadata holds its {@value #UNIT} and
     * {@value #DESCRIPTION}.
     */
    public static StructType rows(int topK) {
        List<TableColumn> columns = LensRows.columns(topK);
        StructField[] fields = new StructField[columns.size()];
        for (int i = 0; i < fields.length; i++) {
            TableColumn c = columns.get(i);
            Metadata metadata = new MetadataBuilder().putString(UNIT, c.unit()).putString(DESCRIPTION, c.description()).build();
            fields[i] = DataTypes.createStructField(c.name(), type(c.type()), c.nullable(), metadata);
        }
        return DataTypes.createStructType(fields);
    }

    private static DataType type(ColumnType type) {
        return switch (type) {
            case INT32 -> DataTypes.IntegerType;
            case FLOAT32 -> DataTypes.FloatType;
            case FLOAT64 -> DataTypes.DoubleType;
            case STRING -> DataTypes.StringType;
        };
    }

    /**
     * The documents a job reads, one row each: {@code doc} (its index in the corpus, from 0: the dump's {@code doc}),
     * {@code source} ({@code file:line} or {@code file}, for messages), and exactly one of {@code text} (tokenised
     * with GPT-2's BPE) and {@code tokens} (token ids).
     */
    public static StructType documents() {
        return DataTypes.createStructType(new StructField[] {
                DataTypes.createStructField("doc", DataTypes.IntegerType, false),
                DataTypes.createStructField("source", DataTypes.StringType, false),
                DataTypes.createStructField("text", DataTypes.StringType, true),
                DataTypes.createStructField("tokens", DataTypes.createArrayType(DataTypes.IntegerType, false), true)});
    }

    /** Row {@code row} of {@code rows} as a Spark row of {@link #rows(int)}: nulls where the column is null. */
    static Row row(LensRows rows, Object[] columns, int row) {
        Object[] values = new Object[columns.length];
        for (int c = 0; c < columns.length; c++) {
            if (rows.isNull(c, row)) {
                continue;
            }
            values[c] = switch (columns[c]) {
                case int[] a -> a[row];
                case float[] a -> a[row];
                case double[] a -> a[row];
                case String[] a -> a[row];
                default -> throw new IllegalStateException("a column of " + columns[c].getClass());
            };
        }
        return RowFactory.create(values);
    }
}
