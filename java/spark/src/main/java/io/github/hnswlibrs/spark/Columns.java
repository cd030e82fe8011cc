package io.github.hnswlibrs.spark;

import java.io.Serializable;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * Reads the identifier, vector and filter columns of a row, after checking the schema on the driver,
 * with messages that name the column and the row.
 */
final class Columns implements Serializable {
    private static final long serialVersionUID = 1L;

    /**
     * The kind of the identifiers: integers are the index labels themselves; strings are
     * numbered within each shard, which keeps their names beside its index file.
     */
    enum IdKind {
        INTEGER(DataTypes.LongType, "int or bigint"),
        STRING(DataTypes.StringType, "string");

        /** The type of {@code id} in the output's neighbour structs. */
        final DataType outputType;
        final String description;

        IdKind(DataType outputType, String description) {
            this.outputType = outputType;
            this.description = description;
        }

        /** The kind of an identifier column's type, or null for a type identifiers cannot have. */
        static IdKind of(DataType t) {
            if (isInteger(t)) {
                return INTEGER;
            }
            return t.equals(DataTypes.StringType) ? STRING : null;
        }
    }

    /** The output column's element: one neighbour, its id of the model's kind. */
    static StructType neighbour(IdKind ids) {
        return new StructType(new StructField[] {
            DataTypes.createStructField("id", ids.outputType, false),
            DataTypes.createStructField("distance", DataTypes.FloatType, false),
        });
    }

    private enum VectorKind { ML_VECTOR, FLOATS, DOUBLES }

    private final String featuresCol;
    private final int featuresIndex;
    private final VectorKind kind;
    private final String idCol;
    private final int idIndex;
    private final IdKind idKind;
    private final String filterCol;
    private final int filterIndex;

    private Columns(String featuresCol, int featuresIndex, VectorKind kind, String idCol, int idIndex,
            IdKind idKind, String filterCol, int filterIndex) {
        this.featuresCol = featuresCol;
        this.featuresIndex = featuresIndex;
        this.kind = kind;
        this.idCol = idCol;
        this.idIndex = idIndex;
        this.idKind = idKind;
        this.filterCol = filterCol;
        this.filterIndex = filterIndex;
    }

    /** The items' columns: any kind of identifier, no filter column. */
    static Columns items(StructType schema, String featuresCol, String idCol) {
        return of(schema, featuresCol, idCol, null, null);
    }

    /**
     * Checks the columns in a schema.
     *
     * @param schema the input's schema
     * @param featuresCol the vector column
     * @param idCol the identifier column, or null when it is not needed
     * @param filterCol the column of the allowed identifiers (an array of identifiers), or null for none
     * @param ids the kind the identifiers must be (a model's), or null for either (fit)
     * @return the reader of these columns
     * @throws IllegalArgumentException naming a missing column or a column of a wrong type
     */
    static Columns of(StructType schema, String featuresCol, String idCol, String filterCol, IdKind ids) {
        int fi = index(schema, featuresCol, "featuresCol");
        DataType ft = schema.fields()[fi].dataType();
        VectorKind kind;
        if (ft.equals(SQLDataTypes.VectorType())) {
            kind = VectorKind.ML_VECTOR;
        } else if (ft instanceof ArrayType && ((ArrayType) ft).elementType().equals(DataTypes.FloatType)) {
            kind = VectorKind.FLOATS;
        } else if (ft instanceof ArrayType && ((ArrayType) ft).elementType().equals(DataTypes.DoubleType)) {
            kind = VectorKind.DOUBLES;
        } else {
            throw new IllegalArgumentException("Column '" + featuresCol + "' (featuresCol) must be a Spark ML"
                    + " Vector, array<float> or array<double>, but it is " + ft.simpleString());
        }
        int ii = -1;
        IdKind idKind = ids;
        if (idCol != null) {
            ii = index(schema, idCol, "identifierCol");
            DataType it = schema.fields()[ii].dataType();
            IdKind found = IdKind.of(it);
            if (found == null || (ids != null && found != ids)) {
                throw new IllegalArgumentException("Column '" + idCol + "' (identifierCol) must be of "
                        + (ids == null ? "type int, bigint or string" : "the model's identifier type ("
                        + ids.description + ")") + ", but it is " + it.simpleString());
            }
            idKind = found;
        }
        int li = -1;
        if (filterCol != null) {
            li = index(schema, filterCol, "filterCol");
            DataType lt = schema.fields()[li].dataType();
            IdKind listed = lt instanceof ArrayType ? IdKind.of(((ArrayType) lt).elementType()) : null;
            if (listed == null || (idKind != null && listed != idKind)) {
                String want = idKind == IdKind.STRING ? "array<string>" : "array<bigint> or array<int>";
                throw new IllegalArgumentException("Column '" + filterCol + "' (filterCol) must be an array of the"
                        + " identifiers a query may return (" + want + "), but it is " + lt.simpleString());
            }
        }
        return new Columns(featuresCol, fi, kind, idCol, ii, idKind, filterCol, li);
    }

    /** The kind of the identifiers (null when no identifier column was asked for). */
    IdKind idKind() {
        return idKind;
    }

    private static boolean isInteger(DataType t) {
        return t.equals(DataTypes.LongType) || t.equals(DataTypes.IntegerType) || t.equals(DataTypes.ShortType)
                || t.equals(DataTypes.ByteType);
    }

    private static int index(StructType schema, String col, String param) {
        List<String> names = Arrays.asList(schema.fieldNames());
        int i = names.indexOf(col);
        if (i < 0) {
            throw new IllegalArgumentException("Column '" + col + "' (" + param + ") is not in the input; its"
                    + " columns are " + names);
        }
        return i;
    }

    /**
     * The identifier of a row (the identifier column must have been asked for): a Long for
     * integer identifiers, a String for string ones.
     */
    Object id(Row row) {
        if (row.isNullAt(idIndex)) {
            throw new IllegalArgumentException("Null identifier in column '" + idCol + "' (identifierCol)");
        }
        Object id = row.get(idIndex);
        return idKind == IdKind.INTEGER ? (Object) ((Number) id).longValue() : id;
    }

    /** Whether the identifier column was asked for. */
    boolean hasId() {
        return idIndex >= 0;
    }

    /**
     * The identifiers a row's query may return (a long[] for integer identifiers, a String[]
     * for string ones), or null for no filter (no filter column, or a null value in it).
     */
    Object allowed(Row row) {
        if (filterIndex < 0 || row.isNullAt(filterIndex)) {
            return null;
        }
        List<Object> x = row.getList(filterIndex);
        long[] ids = idKind == IdKind.STRING ? null : new long[x.size()];
        String[] names = idKind == IdKind.STRING ? new String[x.size()] : null;
        for (int i = 0; i < x.size(); i++) {
            Object id = x.get(i);
            if (id == null) {
                throw new IllegalArgumentException("Null identifier in the array of column '" + filterCol
                        + "' (filterCol) of " + describe(row));
            }
            if (names != null) {
                names[i] = (String) id;
            } else {
                ids[i] = ((Number) id).longValue();
            }
        }
        return names != null ? names : ids;
    }

    /**
     * The vector of a row as floats.
     *
     * @param row the row
     * @param dim the dimension it must have, or -1 for any
     */
    float[] vector(Row row, int dim) {
        if (row.isNullAt(featuresIndex)) {
            throw new IllegalArgumentException("Null vector in column '" + featuresCol + "' (featuresCol) of "
                    + describe(row));
        }
        float[] v;
        switch (kind) {
            case ML_VECTOR: {
                Vector x = (Vector) row.get(featuresIndex);
                v = new float[x.size()];
                for (int i = 0; i < v.length; i++) {
                    v[i] = (float) x.apply(i);
                }
                break;
            }
            default: { // array<float> or array<double>
                List<Object> x = row.getList(featuresIndex);
                v = new float[x.size()];
                for (int i = 0; i < v.length; i++) {
                    v[i] = element(x.get(i), row);
                }
                break;
            }
        }
        if (dim >= 0 && v.length != dim) {
            throw new IllegalArgumentException("Vector of dimension " + v.length + " in column '" + featuresCol
                    + "' (featuresCol) of " + describe(row) + ", where the index has dimension " + dim);
        }
        if (v.length == 0) {
            throw new IllegalArgumentException("Empty vector in column '" + featuresCol + "' (featuresCol) of "
                    + describe(row));
        }
        return v;
    }

    private float element(Object x, Row row) {
        if (x == null) {
            throw new IllegalArgumentException("Null element in the vector of column '" + featuresCol
                    + "' (featuresCol) of " + describe(row));
        }
        return ((Number) x).floatValue();
    }

    /** How a row is named in messages: by its identifier when there is one. */
    String describe(Row row) {
        if (idIndex >= 0 && !row.isNullAt(idIndex)) {
            return "the row with " + idCol + " = " + row.get(idIndex);
        }
        return "a row";
    }
}
