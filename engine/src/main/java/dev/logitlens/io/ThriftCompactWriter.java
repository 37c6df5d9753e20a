package dev.logitlens.io;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Deque;

/**
 * A minimal writer of the Thrift compact protocol, enough for Parquet's metadata structs: field headers
 * with id deltas, zigzag varints, binaries, list headers, nested structs and struct stops. The caller
 * writes the fields of each struct in increasing id order, as the Parquet IDL lists them.
 */
final class ThriftCompactWriter {

    // compact-protocol type codes
    static final int BOOLEAN_TRUE = 1;
    static final int BOOLEAN_FALSE = 2;
    static final int BYTE = 3;
    static final int I16 = 4;
    static final int I32 = 5;
    static final int I64 = 6;
    static final int DOUBLE = 7;
    static final int BINARY = 8;
    static final int LIST = 9;
    static final int SET = 10;
    static final int MAP = 11;
    static final int STRUCT = 12;

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    /** The last field id of each enclosing struct. */
    private final Deque<Integer> lastFieldIds = new ArrayDeque<>();
    private int lastFieldId;

    /** The bytes written so far. */
    byte[] toByteArray() {
        if (!lastFieldIds.isEmpty()) {
            throw new IllegalStateException("unterminated struct");
        }
        return out.toByteArray();
    }

    void fieldI32(int id, int value) {
        fieldHeader(id, I32);
        varint(zigzag32(value));
    }

    void fieldI16(int id, short value) {
        fieldHeader(id, I16);
        varint(zigzag32(value));
    }

    void fieldI64(int id, long value) {
        fieldHeader(id, I64);
        varint(zigzag64(value));
    }

    void fieldBool(int id, boolean value) {
        fieldHeader(id, value ? BOOLEAN_TRUE : BOOLEAN_FALSE);
    }

    void fieldBinary(int id, byte[] value) {
        fieldHeader(id, BINARY);
        binary(value);
    }

    void fieldString(int id, String value) {
        fieldBinary(id, value.getBytes(StandardCharsets.UTF_8));
    }

    /** Starts a struct-valued field; end it with {@link #structEnd()}. */
    void fieldStructBegin(int id) {
        fieldHeader(id, STRUCT);
        structBegin();
    }

    /** Starts a list-valued field of {@code size} elements of compact type {@code elementType}. */
    void fieldListBegin(int id, int elementType, int size) {
        fieldHeader(id, LIST);
        listHeader(elementType, size);
    }

    /** Starts a struct that is a list element (no field header). */
    void structBegin() {
        lastFieldIds.push(lastFieldId);
        lastFieldId = 0;
    }

    /** Writes the stop byte of the current struct. */
    void structEnd() {
        out.write(0);
        if (lastFieldIds.isEmpty()) {
            throw new IllegalStateException("structEnd without structBegin");
        }
        lastFieldId = lastFieldIds.pop();
    }

    /** An i32 list element (also an enum). */
    void i32(int value) {
        varint(zigzag32(value));
    }

    /** A binary or string list element. */
    void binary(byte[] value) {
        varint(value.length & 0xFFFFFFFFL);
        out.writeBytes(value);
    }

    void string(String value) {
        binary(value.getBytes(StandardCharsets.UTF_8));
    }

    private void listHeader(int elementType, int size) {
        if (size < 0) {
            throw new IllegalArgumentException("negative list size " + size);
        }
        if (size < 15) {
            out.write(size << 4 | elementType);
        } else {
            out.write(0xF0 | elementType);
            varint(size);
        }
    }

    private void fieldHeader(int id, int type) {
        if (id <= 0 || id > Short.MAX_VALUE) {
            throw new IllegalArgumentException("field id " + id);
        }
        int delta = id - lastFieldId;
        if (delta > 0 && delta <= 15) {
            out.write(delta << 4 | type);
        } else {
            out.write(type);
            varint(zigzag32(id));
        }
        lastFieldId = id;
    }

    private void varint(long value) {
        while ((value & ~0x7FL) != 0) {
            out.write((int) (value & 0x7F) | 0x80);
            value >>>= 7;
        }
        out.write((int) value);
    }

    static long zigzag32(int n) {
        return ((n << 1) ^ (n >> 31)) & 0xFFFFFFFFL;
    }

    static long zigzag64(long n) {
        return (n << 1) ^ (n >> 63);
    }
}
