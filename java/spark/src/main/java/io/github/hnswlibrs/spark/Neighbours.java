package io.github.hnswlibrs.spark;

import java.io.Serializable;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;

/**
 * One query's neighbours from some of the shards, closest first, and (from one shard only)
 * the query's row. Partial results of one query merge into its global top k.
 */
final class Neighbours implements Serializable {
    private static final long serialVersionUID = 1L;

    final long[] ids;
    final float[] distances;
    final Row row;

    Neighbours(long[] ids, float[] distances, Row row) {
        this.ids = ids;
        this.distances = distances;
        this.row = row;
    }

    /** The k closest of both (each sorted closest first), with the row of the one that has it. */
    Neighbours merge(Neighbours other, int k) {
        int n = Math.min(k, ids.length + other.ids.length);
        long[] mergedIds = new long[n];
        float[] mergedDistances = new float[n];
        int i = 0;
        int j = 0;
        for (int out = 0; out < n; out++) {
            boolean mine = j >= other.ids.length || (i < ids.length && distances[i] <= other.distances[j]);
            if (mine) {
                mergedIds[out] = ids[i];
                mergedDistances[out] = distances[i++];
            } else {
                mergedIds[out] = other.ids[j];
                mergedDistances[out] = other.distances[j++];
            }
        }
        return new Neighbours(mergedIds, mergedDistances, row != null ? row : other.row);
    }

    /** The query's row with the neighbours appended as an array of (id, distance) structs. */
    Row toRow() {
        Object[] values = new Object[row.size() + 1];
        for (int c = 0; c < row.size(); c++) {
            values[c] = row.get(c);
        }
        Row[] found = new Row[ids.length];
        for (int i = 0; i < ids.length; i++) {
            found[i] = RowFactory.create(ids[i], distances[i]);
        }
        values[row.size()] = found;
        return RowFactory.create(values);
    }
}
