package io.github.hnswlibrs.spark;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.ml.Model;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.ml.util.MLWritable;
import org.apache.spark.ml.util.MLWriter;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.StructType;

/**
 * The shards built by {@link HnswSimilarity}, and the k-NN search over all of them:
 * {@link #transform} sends each query to every shard, each shard's task searches its queries
 * in batches (an hnswlib-rs view of the shard file: mapped, not loaded), and the results merge
 * into the global top k, closest first, in {@code predictionCol} as
 * {@code array<struct<id: bigint, distance: float>>} ({@code id: string} when the items'
 * identifiers are strings). With {@code filterCol} set, each query
 * returns only the identifiers of its row's array in that column (every shard passes it to
 * the binding as a {@code LabelFilter} allow-list).
 *
 * <p>The shard files stay where fit wrote them ({@code indexDir}) until the model is saved;
 * a saved model keeps its own copy under {@code path/shards}.
 */
public final class HnswSimilarityModel extends Model<HnswSimilarityModel>
        implements HnswSimilarityParams<HnswSimilarityModel>, MLWritable {
    private static final long serialVersionUID = 1L;

    private final String uid;
    private final Defs params;
    private final String shardDir;
    private final List<Shard> shards;
    private final Columns.IdKind ids;
    /** The partitions of the fit that placed the items in the shards (0: not known), to send each allow-list id to its shard only. */
    private final int placedIn;

    HnswSimilarityModel(String uid, String shardDir, List<Shard> shards, Columns.IdKind ids, int placedIn) {
        this.uid = uid;
        this.params = new Defs(this);
        params.setDefaults(this);
        this.shardDir = shardDir;
        this.shards = Collections.unmodifiableList(new ArrayList<>(shards));
        this.ids = ids;
        this.placedIn = placedIn;
    }

    @Override
    public String uid() {
        return uid;
    }

    @Override
    public Defs hnswParams() {
        return params;
    }

    /** The dimension of the vectors. */
    public int dim() {
        return shards.get(0).dim();
    }

    /** How many shards hold items (empty partitions make none). */
    public int numShards() {
        return shards.size();
    }

    /** Items in all shards. */
    public long size() {
        return shards.stream().mapToLong(Shard::size).sum();
    }

    /** The directory of the shard files. */
    public String shardDir() {
        return shardDir;
    }

    /** Whether the identifiers are strings ("string") or integers ("bigint"), as in the output's ids. */
    public String identifierType() {
        return ids.outputType.simpleString();
    }

    /**
     * The queries need featuresCol (and identifierCol with excludeSelf, filterCol when set, both
     * of the items' identifier kind); adds predictionCol.
     */
    @Override
    public StructType transformSchema(StructType schema) {
        queryColumns(schema);
        return Stages.outputSchema(schema, getPredictionCol(), ids);
    }

    private Columns queryColumns(StructType schema) {
        return Columns.of(schema, getFeaturesCol(), getExcludeSelf() ? getIdentifierCol() : null, getFilterCol(), ids);
    }

    @Override
    public Dataset<Row> transform(Dataset<?> dataset) {
        StructType out = transformSchema(dataset.schema());
        Dataset<Row> df = dataset.toDF();
        Columns columns = queryColumns(df.schema());
        HadoopConf conf = new HadoopConf(df.sparkSession().sparkContext().hadoopConfiguration());
        int k = getK();
        ShardSearch search = new ShardSearch(columns, shardDir, shards, 1 + getNumReplicas(), k, getEf(),
                getExcludeSelf(), getSimilarityThreshold(), getNumThreads(), conf, placedIn);
        JavaRDD<Row> rows = df.javaRDD();
        JavaRDD<Row> answered = JavaPairRDD.fromJavaRDD(rows.mapPartitionsWithIndex(search::fanOut, false))
                .partitionBy(new ShardSearch.ByKey(search.partitions()))
                .mapPartitionsWithIndex(search::search, false)
                .mapToPair(t -> t)
                .reduceByKey((a, b) -> a.merge(b, k), Math.max(1, rows.getNumPartitions()))
                .values()
                .map(Neighbours::toRow);
        return df.sparkSession().createDataFrame(answered, out);
    }

    @Override
    public HnswSimilarityModel copy(ParamMap extra) {
        HnswSimilarityModel copy = copyValues(new HnswSimilarityModel(uid, shardDir, shards, ids, placedIn), extra);
        return copy.setParent(parent());
    }

    /** Saves the parameters and a copy of every shard file under {@code path/shards}. */
    @Override
    public MLWriter write() {
        return new Stages.ParamsWriter(this, new Stages.Extra() {
            @Override
            public void check(Path dir, Configuration conf) throws IOException {
                Path to = new Path(dir, "shards");
                to = to.getFileSystem(conf).makeQualified(to);
                Path from = new Path(shardDir);
                if (from.getFileSystem(conf).makeQualified(from).equals(to)) {
                    throw new IllegalArgumentException("This model reads its shards from " + to
                            + ": save it to another path, not over the one it was loaded from");
                }
            }

            @Override
            public void save(ObjectNode metadata, Path dir, Configuration conf) throws IOException {
                saveShards(metadata, dir, conf);
            }
        });
    }

    private void saveShards(ObjectNode metadata, Path dir, Configuration conf) throws IOException {
        ObjectNode state = metadata.putObject("hnswlib");
        state.put("dim", dim());
        state.put("identifiers", ids.name().toLowerCase(java.util.Locale.ROOT));
        state.put("partitions", placedIn);
        ArrayNode list = state.putArray("shards");
        Path from = new Path(shardDir);
        Path to = new Path(dir, "shards");
        FileSystem fromFs = from.getFileSystem(conf);
        FileSystem toFs = to.getFileSystem(conf);
        toFs.mkdirs(to);
        for (Shard s : shards) {
            ObjectNode entry = list.addObject().put("file", s.file()).put("size", s.size()).put("dim", s.dim());
            if (s.names() != null) {
                entry.put("names", s.names());
            }
            for (String file : s.files()) {
                try (InputStream in = fromFs.open(new Path(from, file));
                        OutputStream out = toFs.create(new Path(to, file), true)) {
                    in.transferTo(out);
                }
            }
        }
    }

    /** The reader of saved models ({@code HnswSimilarityModel.load(path)}). */
    public static MLReader<HnswSimilarityModel> read() {
        return new Stages.ParamsReader<>(HnswSimilarityModel.class, HnswSimilarityModel::loaded);
    }

    /** Loads a model saved by {@code write().save(path)}. */
    public static HnswSimilarityModel load(String path) {
        return read().load(path);
    }

    private static HnswSimilarityModel loaded(String uid, JsonNode metadata, Path dir, Configuration conf) throws IOException {
        JsonNode state = metadata.path("hnswlib");
        // Models saved before string identifiers existed have integer ones.
        String kind = state.path("identifiers").asText("integer");
        Columns.IdKind ids;
        try {
            ids = Columns.IdKind.valueOf(kind.toUpperCase(java.util.Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IOException("unknown identifier kind '" + kind + "' in the metadata");
        }
        List<Shard> shards = new ArrayList<>();
        for (JsonNode s : state.path("shards")) {
            String names = s.hasNonNull("names") ? s.path("names").asText() : null;
            if ((names != null) != (ids == Columns.IdKind.STRING)) {
                throw new IOException("shard " + s.path("file").asText() + " "
                        + (names == null ? "lacks the file of its string identifiers" : "names an identifier file,"
                        + " but the model's identifiers are integers"));
            }
            shards.add(new Shard(s.path("file").asText(), s.path("size").asLong(), s.path("dim").asInt(), names));
        }
        if (shards.isEmpty()) {
            throw new IOException("the metadata lists no shard");
        }
        Path shardDir = new Path(dir, "shards");
        FileSystem fs = shardDir.getFileSystem(conf);
        shardDir = fs.makeQualified(shardDir);
        for (Shard s : shards) {
            for (String file : s.files()) {
                if (!fs.exists(new Path(shardDir, file))) {
                    throw new IOException("shard file " + new Path(shardDir, file) + " is missing");
                }
            }
        }
        // Models saved before it was kept: 0, and allow-lists go whole to every shard.
        return new HnswSimilarityModel(uid, shardDir.toString(), shards, ids, state.path("partitions").asInt(0));
    }
}
