package dev.logitlens.table;

/**
 * A column of a lens table.
 *
 * @param name        the column's name in CSV headers, JSONL keys and Parquet schemas
 * @param type        its value type
 * @param nullable    whether some rows have no value (written as an empty CSV field, JSON null, Parquet null)
 * @param description what it holds, with its unit
 * @param unit        the unit of its values alone ("nats", "rank from 1", "token id", ...), as Parquet files record it
 */
public record TableColumn(String name, ColumnType type, boolean nullable, String description, String unit) {
}
