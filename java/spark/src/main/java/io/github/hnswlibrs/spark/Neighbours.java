package io.github.hnswlibrs.spark;

import java.io.Serializable;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;

/**
 * One query's neighbours from some of the shards, closest first, and (from one shard only)
 * the query's row. Partial results of one query merge into its global top k. The neighbours
 * are integer ids or string names, as the model's identifiers are; the other array is null.
 */
final class Neighbours implements Serializable {
    private static final long serialVersionUID = 2L;

    final long[] ids;
    final String[] names;
    final float[] distances;
    final Row row;

    Neighbours(long[] ids, String[] names, float[] distances, Row row) {
        this.ids = ids;
        this.names = names;
        this.distances = distances;
        this.row = row;
    }

    /** The k closest of both (each sorted closest first), with the row of the one that has it. */
    Neighbours merge(Neighbours other, int k) {
        int n = Math.min(k, distances.length + other.distances.length);
        long[] mergedIds = ids != null ? new long[n] : null;
        String[] mergedNames = names != null ? new String[n] : null;
        float[] mergedDistances = new float[n];
        int i = 0;
        int j = 0;
        for (int out = 0; out < n; out++) {
            boolean mine = j >= other.distances.length
                    || (i < distances.length && distances[i] <= other.distances[j]);
            Neighbours from = mine ? this : other;
            int at = mine ? i++ : j++;
            if (mergedIds != null) {
                mergedIds[out] = from.ids[at];
            } else {
                mergedNames[out] = from.names[at];
            }
            mergedDistances[out] = from.distances[at];
        }
        return new Neighbours(mergedIds, mergedNames, mergedDistances, row != null ? row : other.row);
    }

    /** The query's row with the neighbours appended as an array of (id, distance) structs. */
    Row toRow() {
        Object[] values = new Object[row.size() + 1];
        for (int c = 0; c < row.size(); c++) {
            values[c] = row.get(c);
        }
        Row[] found = new Row[distances.length];
        for (int i = 0; i < found.length; i++) {
            found[i] = RowFactory.create(ids != null ? (Object) ids[i] : names[i], distances[i]);
        }
        values[row.size()] = found;
        return RowFactory.create(values);
    }
}
