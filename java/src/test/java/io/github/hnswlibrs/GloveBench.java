package io.github.hnswlibrs;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The Java side of the GloVe benchmark (java/bench/glove_java.py runs it next to the Rust
 * core's {@code glove} example on the same files): builds a cosine index from
 * {@code --base}, then for every ef measures recall@k and single-query QPS, one
 * {@code knn} call per query on one thread, the median of {@code --repeats} rounds.
 *
 * <p>Each round is followed by the same queries searched by the engine's own loop
 * ({@code Native.searchLoop}: one Rust {@code search} call per query, no JNI in between) on
 * the same index, in the same process and thread, so the ratio of the two measures what the
 * binding adds with the machine's noise largely cancelled; that comparison uses the best
 * round of each (the one least disturbed by other processes). Writes the figures as JSON
 * with the field names of the Rust example, plus {@code best_qps} and {@code native_best_qps}.
 *
 * <pre>
 * java -cp java/target/classes:java/target/test-classes io.github.hnswlibrs.GloveBench \
 *     --base B.npy --queries Q.npy --gt G.npy [--nq-single N] [--efs 10,40] [--repeats 3]
 *     [--m 16] [--efc 200] [--k 10] [--threads 0] [--json OUT]
 * </pre>
 */
public final class GloveBench {
    private GloveBench() {}

    /** A 2-D .npy array: little-endian float32 or int64, C order. */
    record Npy(int rows, int cols, float[] f32, long[] i64) {}

    static Npy readNpy(Path path) throws IOException {
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            ByteBuffer all = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size()).order(ByteOrder.LITTLE_ENDIAN);
            byte[] magic = new byte[6];
            all.get(magic);
            if (!new String(magic, StandardCharsets.ISO_8859_1).equals("\u0093NUMPY")) {
                throw new IOException(path + " is not a .npy file");
            }
            int major = all.get();
            all.get();
            int headerLen = major == 1 ? Short.toUnsignedInt(all.getShort()) : all.getInt();
            byte[] h = new byte[headerLen];
            all.get(h);
            String header = new String(h, StandardCharsets.ISO_8859_1);
            if (header.contains("'fortran_order': True")) {
                throw new IOException(path + ": Fortran order is not supported");
            }
            String shape = header.replaceAll(".*'shape': \\(([^)]*)\\).*", "$1").trim();
            String[] dims = shape.split(",");
            int rows = Integer.parseInt(dims[0].trim());
            int cols = dims.length > 1 && !dims[1].isBlank() ? Integer.parseInt(dims[1].trim()) : 1;
            ByteBuffer data = all.slice().order(ByteOrder.LITTLE_ENDIAN);
            if (header.contains("'<f4'")) {
                float[] f = new float[rows * cols];
                data.asFloatBuffer().get(f);
                return new Npy(rows, cols, f, null);
            }
            if (header.contains("'<i8'")) {
                long[] l = new long[rows * cols];
                data.asLongBuffer().get(l);
                return new Npy(rows, cols, null, l);
            }
            throw new IOException(path + ": only <f4 and <i8 arrays are supported: " + header);
        }
    }

    static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    public static void main(String[] argv) throws IOException {
        Map<String, String> a = new HashMap<>(Map.of("--efs", "10,20,40,80,120,200,300,400", "--repeats", "3",
                "--m", "16", "--efc", "200", "--k", "10", "--threads", "0"));
        for (int i = 0; i + 1 < argv.length; i += 2) {
            a.put(argv[i], argv[i + 1]);
        }
        for (String required : List.of("--base", "--queries", "--gt")) {
            if (!a.containsKey(required)) {
                System.err.println("usage: GloveBench --base B.npy --queries Q.npy --gt G.npy [options]");
                System.exit(2);
            }
        }
        Npy base = readNpy(Path.of(a.get("--base")));
        Npy queries = readNpy(Path.of(a.get("--queries")));
        Npy gt = readNpy(Path.of(a.get("--gt")));
        int dim = base.cols();
        int k = Integer.parseInt(a.get("--k"));
        int ns = Math.min(queries.rows(), Integer.parseInt(a.getOrDefault("--nq-single", "" + queries.rows())));
        int repeats = Integer.parseInt(a.get("--repeats"));
        int threads = Integer.parseInt(a.get("--threads"));
        int[] efs = Arrays.stream(a.get("--efs").split(",")).mapToInt(s -> Integer.parseInt(s.trim())).toArray();

        float[][] q = new float[queries.rows()][];
        for (int i = 0; i < q.length; i++) {
            q[i] = Arrays.copyOfRange(queries.f32(), i * dim, (i + 1) * dim);
        }
        StringBuilder json = new StringBuilder();
        try (HnswIndex index = new HnswIndex(Space.cosine(dim), base.rows(), Integer.parseInt(a.get("--m")),
                Integer.parseInt(a.get("--efc")), 100, false)) {
            long t0 = System.nanoTime();
            ByteBuffer bytes = ByteBuffer.allocateDirect(base.f32().length * 4).order(ByteOrder.nativeOrder());
            bytes.asFloatBuffer().put(base.f32());
            index.add(bytes.asFloatBuffer(), null, AddOptions.defaults().withThreads(threads));
            double buildS = (System.nanoTime() - t0) / 1e9;
            System.out.printf(Locale.ROOT, "java: built %d x %d in %.1f s%n", base.rows(), dim, buildS);
            System.out.printf(Locale.ROOT, "%5s %10s %15s %15s %10s   (%d single queries on 1 thread)%n", "ef",
                    "recall@" + k, "Java best QPS", "engine best", "ratio", ns);
            float[] flat = Arrays.copyOf(queries.f32(), ns * dim);
            json.append(String.format(Locale.ROOT,
                    "{\n \"lib\": \"hnswlib-rs-java\",\n \"n\": %d,\n \"nq_single\": %d,\n \"dim\": %d,\n"
                            + " \"k\": %d,\n \"build_s\": %s,\n \"efs\": [",
                    base.rows(), ns, dim, k, buildS));
            for (int e = 0; e < efs.length; e++) {
                SearchOptions opts = SearchOptions.defaults().withEf(efs[e]);
                double[] walls = new double[repeats];
                double[] nativeWalls = new double[repeats];
                long hits = 0;
                for (int rep = 0; rep < repeats; rep++) {
                    List<SearchResult> found = new ArrayList<>(ns);
                    long s0 = System.nanoTime();
                    for (int i = 0; i < ns; i++) {
                        found.add(index.knn(q[i], k, opts));
                    }
                    walls[rep] = (System.nanoTime() - s0) / 1e9;
                    nativeWalls[rep] = Native.searchLoop(index.id(), flat, k, efs[e]) / 1e9;
                    if (rep == 0) {
                        for (int i = 0; i < ns; i++) {
                            for (long label : found.get(i).labels()) {
                                for (int j = 0; j < k; j++) {
                                    if (gt.i64()[i * gt.cols() + j] == label) {
                                        hits++;
                                    }
                                }
                            }
                        }
                    }
                }
                double recall = hits / (double) (ns * k);
                double qps = ns / median(walls);
                double best = ns / Arrays.stream(walls).min().orElseThrow();
                double nativeBest = ns / Arrays.stream(nativeWalls).min().orElseThrow();
                System.out.printf(Locale.ROOT, "%5d %10.4f %15.0f %15.0f %10.3f%n", efs[e], recall, best, nativeBest,
                        best / nativeBest);
                json.append(String.format(Locale.ROOT,
                        "%s\n  {\"ef\": %d, \"recall_single\": %s, \"single_qps\": %s, \"best_qps\": %s, "
                                + "\"native_best_qps\": %s}",
                        e == 0 ? "" : ",", efs[e], recall, qps, best, nativeBest));
            }
            json.append("\n ]\n}\n");
        }
        if (a.containsKey("--json")) {
            Files.writeString(Path.of(a.get("--json")), json.toString());
        }
    }
}
