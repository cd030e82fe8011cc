package io.github.hnswlibrs.spark;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.HashPartitioner;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.ml.Estimator;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.util.Identifiable$;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.ml.util.MLWritable;
import org.apache.spark.ml.util.MLWriter;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructType;
import scala.Tuple2;

/**
 * Builds a sharded hnswlib-rs index of a DataFrame: the rows are split into
 * {@code numPartitions} partitions by identifier, each partition's index is built on an
 * executor (with {@code numThreads} threads) and written to {@code indexDir}, and the model
 * answers k-NN queries against all of them.
 *
 * <pre>{@code
 * HnswSimilarityModel model = new HnswSimilarity()
 *         .setIdentifierCol("id").setFeaturesCol("features")
 *         .setDistanceFunction("cosine").setK(10).setNumPartitions(4)
 *         .fit(items);
 * Dataset<Row> neighbours = model.transform(queries);   // + "prediction": array<struct<id, distance>>
 * }</pre>
 */
public final class HnswSimilarity extends Estimator<HnswSimilarityModel>
        implements HnswSimilarityParams<HnswSimilarity>, MLWritable {
    private static final long serialVersionUID = 1L;

    private final String uid;
    private final Defs params;

    public HnswSimilarity() {
        this(Identifiable$.MODULE$.randomUID("hnswSimilarity"));
    }

    public HnswSimilarity(String uid) {
        this.uid = uid;
        this.params = new Defs(this);
        params.setDefaults(this);
    }

    @Override
    public String uid() {
        return uid;
    }

    @Override
    public Defs hnswParams() {
        return params;
    }

    public HnswSimilarity setDistanceFunction(String value) {
        set(distanceFunction(), Stages.checkDistance(value));
        return this;
    }

    public HnswSimilarity setM(int value) {
        set(m(), value);
        return this;
    }

    public HnswSimilarity setEfConstruction(int value) {
        set(efConstruction(), value);
        return this;
    }

    public HnswSimilarity setNumPartitions(int value) {
        set(numPartitions(), value);
        return this;
    }

    public HnswSimilarity setIndexDir(String value) {
        set(indexDir(), value);
        return this;
    }

    /**
     * The input needs identifierCol (integers or strings) and featuresCol; the output is the
     * model's (the queries plus predictionCol, whose ids are of the identifiers' kind).
     */
    @Override
    public StructType transformSchema(StructType schema) {
        Stages.checkDistance(getDistanceFunction());
        Columns columns = Columns.items(schema, getFeaturesCol(), getIdentifierCol());
        return Stages.outputSchema(schema, getPredictionCol(), columns.idKind());
    }

    @Override
    public HnswSimilarityModel fit(Dataset<?> dataset) {
        transformSchema(dataset.schema());
        Dataset<Row> df = dataset.toDF();
        Columns columns = Columns.items(df.schema(), getFeaturesCol(), getIdentifierCol());
        SparkSession spark = df.sparkSession();
        HadoopConf conf = new HadoopConf(spark.sparkContext().hadoopConfiguration());
        String modelUid = Identifiable$.MODULE$.randomUID("hnswSimilarityModel");
        Path dir = shardDir(conf, modelUid);
        ShardBuilder builder = new ShardBuilder(columns, getDistanceFunction(), getM(), getEfConstruction(),
                getNumThreads(), dir.toString(), conf);
        // Rows go to partitions by identifier: the same split whenever a task is run again.
        JavaRDD<Row> byId = df.javaRDD()
                .mapToPair(row -> new Tuple2<>(columns.id(row), row))
                .partitionBy(new HashPartitioner(getNumPartitions()))
                .values();
        List<Shard> shards = new ArrayList<>(byId.mapPartitionsWithIndex(builder::build, false).collect());
        shards.sort((a, b) -> a.file().compareTo(b.file()));
        if (shards.isEmpty()) {
            throw new IllegalArgumentException("No rows to index: the input of HnswSimilarity.fit is empty");
        }
        int dim = shards.get(0).dim();
        for (Shard s : shards) {
            if (s.dim() != dim) {
                throw new IllegalArgumentException("Vectors of dimension " + dim + " and " + s.dim()
                        + " in column '" + getFeaturesCol() + "' (featuresCol): they must all have the same");
            }
        }
        HnswSimilarityModel model = new HnswSimilarityModel(modelUid, dir.toString(), shards, columns.idKind(),
                getNumPartitions());
        copyValues(model, ParamMap.empty());
        model.setParent(this);
        return model;
    }

    /**
     * A new directory for one fit's shards: {@code indexDir/<model uid>}, or without indexDir
     * {@code /tmp/hnswlib-rs-spark/<model uid>} of the default file system, removed when the
     * driver exits. Each fit has its own, so no fit overwrites the files of an earlier model.
     */
    private Path shardDir(HadoopConf conf, String modelUid) {
        String base = getIndexDir() != null ? getIndexDir() : "/tmp/hnswlib-rs-spark";
        try {
            Path dir = new Path(base, modelUid);
            FileSystem fs = dir.getFileSystem(conf.get());
            dir = fs.makeQualified(dir);
            fs.mkdirs(dir);
            if (getIndexDir() == null) {
                fs.deleteOnExit(dir);
            }
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot create the shard directory under " + base + ": " + e.getMessage(), e);
        }
    }

    @Override
    public HnswSimilarity copy(ParamMap extra) {
        return (HnswSimilarity) defaultCopy(extra);
    }

    @Override
    public MLWriter write() {
        return new Stages.ParamsWriter(this, null);
    }

    /** The reader of saved estimators ({@code HnswSimilarity.load(path)}). */
    public static MLReader<HnswSimilarity> read() {
        return new Stages.ParamsReader<>(HnswSimilarity.class, (uid, metadata, dir, conf) -> new HnswSimilarity(uid));
    }

    /** Loads an estimator saved by {@code write().save(path)}. */
    public static HnswSimilarity load(String path) {
        return read().load(path);
    }
}
