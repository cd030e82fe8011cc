package io.github.hnswlibrs.spark;

import org.apache.spark.ml.param.BooleanParam;
import org.apache.spark.ml.param.DoubleParam;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamValidators;
import org.apache.spark.ml.param.Params;

/**
 * The parameters of {@link HnswSimilarity} and {@link HnswSimilarityModel}, named as in
 * jelmerk/hnswlib-spark so that code written for it reads the same.
 *
 * <p>Spark ML finds a stage's parameters by reflection, as its public methods that return a
 * {@link Param} and take no argument; the default methods here are those methods, over the
 * {@link Defs} that each stage creates with its own uid. The setters that both stages have are
 * here too; {@code S} is the stage's own type, which they return.
 *
 * @param <S> the stage
 */
public interface HnswSimilarityParams<S extends HnswSimilarityParams<S>> extends Params {

    /** The names {@code distanceFunction} accepts: the binding's spaces for float vectors. */
    String[] DISTANCE_FUNCTIONS = {"cosine", "ip", "l2"};

    /** This stage's parameter objects (one set per stage, owned by its uid). */
    Defs hnswParams();

    /**
     * Column of the item identifiers: int or bigint (the index labels) or string (numbered per
     * shard, the names kept beside it). Default "id".
     */
    default Param<String> identifierCol() {
        return hnswParams().identifierCol;
    }

    /** Column of the vectors: a Spark ML Vector, array&lt;float&gt; or array&lt;double&gt;. Default "features". */
    default Param<String> featuresCol() {
        return hnswParams().featuresCol;
    }

    /**
     * Output column of the neighbours: array&lt;struct&lt;id: bigint, distance: float&gt;&gt; (id: string
     * with string identifiers). Default "prediction".
     */
    default Param<String> predictionCol() {
        return hnswParams().predictionCol;
    }

    /** "cosine" (1 - cosine similarity), "ip" (1 - dot product) or "l2" (squared Euclidean). Default "cosine". */
    default Param<String> distanceFunction() {
        return hnswParams().distanceFunction;
    }

    /** Neighbours per query. Default 5. */
    default IntParam k() {
        return hnswParams().k;
    }

    /** hnswlib's M: links per node. Default 16. */
    default IntParam m() {
        return hnswParams().m;
    }

    /** hnswlib's ef at query time (raised to k when lower). Default 10. */
    default IntParam ef() {
        return hnswParams().ef;
    }

    /** hnswlib's ef_construction. Default 200. */
    default IntParam efConstruction() {
        return hnswParams().efConstruction;
    }

    /** Shards: the input is split into this many partitions by identifier, one index each. Default 1. */
    default IntParam numPartitions() {
        return hnswParams().numPartitions;
    }

    /** Extra copies of each shard that query tasks are spread over (0: one task per shard). Default 0. */
    default IntParam numReplicas() {
        return hnswParams().numReplicas;
    }

    /** Threads each build or query task uses. Default 1. */
    default IntParam numThreads() {
        return hnswParams().numThreads;
    }

    /** Neighbours further than this distance are left out. Default: not set, no limit. */
    default DoubleParam similarityThreshold() {
        return hnswParams().similarityThreshold;
    }

    /** Leaves out a query's own item (same identifier): queries then need identifierCol. Default false. */
    default BooleanParam excludeSelf() {
        return hnswParams().excludeSelf;
    }

    /**
     * Query column of the identifiers each query may return (array&lt;bigint&gt; or
     * array&lt;int&gt;; array&lt;string&gt; with string identifiers): an allow-list that every shard's search applies. A null value, or
     * the parameter not set, is no filter; an empty array allows nothing. Used by the
     * model's transform only; set on the estimator, it passes to the model.
     */
    default Param<String> filterCol() {
        return hnswParams().filterCol;
    }

    /**
     * Directory under which each fit writes its shard files (in a subdirectory named by the
     * model's uid), on a file system every executor reads (HDFS, S3, NFS, or a local path in
     * local mode). Default: not set, /tmp/hnswlib-rs-spark of Hadoop's default file system,
     * the files removed when the driver exits.
     */
    default Param<String> indexDir() {
        return hnswParams().indexDir;
    }

    default String getIdentifierCol() {
        return getOrDefault(identifierCol());
    }

    default String getFeaturesCol() {
        return getOrDefault(featuresCol());
    }

    default String getPredictionCol() {
        return getOrDefault(predictionCol());
    }

    default String getDistanceFunction() {
        return getOrDefault(distanceFunction());
    }

    default int getK() {
        return (Integer) getOrDefault(k());
    }

    default int getM() {
        return (Integer) getOrDefault(m());
    }

    default int getEf() {
        return (Integer) getOrDefault(ef());
    }

    default int getEfConstruction() {
        return (Integer) getOrDefault(efConstruction());
    }

    default int getNumPartitions() {
        return (Integer) getOrDefault(numPartitions());
    }

    default int getNumReplicas() {
        return (Integer) getOrDefault(numReplicas());
    }

    default int getNumThreads() {
        return (Integer) getOrDefault(numThreads());
    }

    /** The threshold, or +infinity when it is not set. */
    default double getSimilarityThreshold() {
        return isDefined(similarityThreshold()) ? (Double) getOrDefault(similarityThreshold()) : Double.POSITIVE_INFINITY;
    }

    default boolean getExcludeSelf() {
        return (Boolean) getOrDefault(excludeSelf());
    }

    /** The filter column set, or null. */
    default String getFilterCol() {
        return isDefined(filterCol()) ? getOrDefault(filterCol()) : null;
    }

    /** The directory set, or null. */
    default String getIndexDir() {
        return isDefined(indexDir()) ? getOrDefault(indexDir()) : null;
    }

    /** This stage, as its own type. */
    @SuppressWarnings("unchecked")
    private S self() {
        return (S) this;
    }

    default S setIdentifierCol(String value) {
        set(identifierCol(), value);
        return self();
    }

    default S setFeaturesCol(String value) {
        set(featuresCol(), value);
        return self();
    }

    default S setPredictionCol(String value) {
        set(predictionCol(), value);
        return self();
    }

    default S setK(int value) {
        set(k(), value);
        return self();
    }

    default S setEf(int value) {
        set(ef(), value);
        return self();
    }

    default S setNumReplicas(int value) {
        set(numReplicas(), value);
        return self();
    }

    default S setNumThreads(int value) {
        set(numThreads(), value);
        return self();
    }

    default S setSimilarityThreshold(double value) {
        set(similarityThreshold(), value);
        return self();
    }

    default S setExcludeSelf(boolean value) {
        set(excludeSelf(), value);
        return self();
    }

    default S setFilterCol(String value) {
        set(filterCol(), value);
        return self();
    }

    /** The parameter objects of one stage, with their defaults set on it. */
    final class Defs {
        final Param<String> identifierCol;
        final Param<String> featuresCol;
        final Param<String> predictionCol;
        final Param<String> distanceFunction;
        final IntParam k;
        final IntParam m;
        final IntParam ef;
        final IntParam efConstruction;
        final IntParam numPartitions;
        final IntParam numReplicas;
        final IntParam numThreads;
        final DoubleParam similarityThreshold;
        final BooleanParam excludeSelf;
        final Param<String> filterCol;
        final Param<String> indexDir;

        /**
         * Creates the parameters of a stage and sets their defaults on it.
         *
         * @param stage the stage (its uid must be set)
         */
        public Defs(HnswSimilarityParams<?> stage) {
            String uid = stage.uid();
            identifierCol = new Param<>(uid, "identifierCol", "column of the item identifiers (int, bigint or string)");
            featuresCol = new Param<>(uid, "featuresCol",
                    "column of the vectors (Vector, array<float> or array<double>)");
            predictionCol = new Param<>(uid, "predictionCol",
                    "output column: array<struct<id: bigint or string, distance: float>>, closest first");
            // Checked with a clear message when the stage runs (transformSchema), not here:
            // a validator only says "given invalid value".
            distanceFunction = new Param<>(uid, "distanceFunction",
                    "distance: " + String.join(", ", DISTANCE_FUNCTIONS));
            k = new IntParam(uid, "k", "neighbours per query (> 0)", ParamValidators.gtEq(1));
            m = new IntParam(uid, "m", "hnswlib's M, links per node (> 1)", ParamValidators.gtEq(2));
            ef = new IntParam(uid, "ef", "hnswlib's ef at query time (raised to k)", ParamValidators.gtEq(1));
            efConstruction = new IntParam(uid, "efConstruction", "hnswlib's ef_construction (> 0)",
                    ParamValidators.gtEq(1));
            numPartitions = new IntParam(uid, "numPartitions", "shards: one index per partition (> 0)",
                    ParamValidators.gtEq(1));
            numReplicas = new IntParam(uid, "numReplicas",
                    "extra copies of each shard that query tasks are spread over (>= 0)", ParamValidators.gtEq(0));
            numThreads = new IntParam(uid, "numThreads", "threads of each build or query task (> 0)",
                    ParamValidators.gtEq(1));
            similarityThreshold = new DoubleParam(uid, "similarityThreshold",
                    "neighbours further than this distance are left out");
            excludeSelf = new BooleanParam(uid, "excludeSelf",
                    "leave out a query's own item (same identifier)");
            filterCol = new Param<>(uid, "filterCol",
                    "query column of the identifiers a query may return (array<bigint>, array<int> or array<string>;"
                    + " null: no filter)");
            indexDir = new Param<>(uid, "indexDir",
                    "directory where fit writes the shard files (a file system every executor reads)");
        }

        /** Sets the defaults of these parameters on their stage. */
        void setDefaults(Params stage) {
            stage.setDefault(identifierCol, "id");
            stage.setDefault(featuresCol, "features");
            stage.setDefault(predictionCol, "prediction");
            stage.setDefault(distanceFunction, "cosine");
            stage.setDefault(k, 5);
            stage.setDefault(m, 16);
            stage.setDefault(ef, 10);
            stage.setDefault(efConstruction, 200);
            stage.setDefault(numPartitions, 1);
            stage.setDefault(numReplicas, 0);
            stage.setDefault(numThreads, 1);
            stage.setDefault(excludeSelf, false);
        }
    }
}
