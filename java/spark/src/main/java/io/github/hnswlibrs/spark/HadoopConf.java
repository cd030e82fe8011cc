package io.github.hnswlibrs.spark;

import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.StandardCopyOption;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * The driver's Hadoop configuration, shipped to the tasks (credentials and file system
 * settings included), and the file operations on shard files that tasks need.
 */
final class HadoopConf implements Serializable {
    private static final long serialVersionUID = 1L;

    /** Local copies of remote shard files on this executor: remote path and version to local file. */
    private static final Map<String, java.nio.file.Path> LOCAL_COPIES = new ConcurrentHashMap<>();

    private transient Configuration conf;

    HadoopConf(Configuration conf) {
        this.conf = conf;
    }

    Configuration get() {
        return conf;
    }

    FileSystem fs(Path path) throws IOException {
        return path.getFileSystem(conf);
    }

    /** A path on the local file system, or null when the path is on another file system. */
    java.nio.file.Path localPath(Path path) throws IOException {
        FileSystem fs = fs(path);
        if (!"file".equals(fs.getUri().getScheme())) {
            return null;
        }
        return java.nio.file.Path.of(fs.makeQualified(path).toUri());
    }

    /**
     * Writes a file that {@code write} makes locally to {@code target}: in place when the
     * target is local, else through a temporary local file copied to the target's file system.
     */
    void writeFile(Path target, LocalWriter write) throws IOException {
        java.nio.file.Path local = localPath(target);
        if (local != null) {
            Files.createDirectories(local.getParent());
            write.write(local);
            return;
        }
        java.nio.file.Path tmp = Files.createTempFile("hnswlib-rs-spark-", ".hnsw");
        try {
            write.write(tmp);
            fs(target).copyFromLocalFile(true, true, new Path(tmp.toUri()), target);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /**
     * A local file with the content of {@code path}: the file itself when it is local, else a
     * copy in this JVM's temporary directory, made once per file version and kept until exit.
     */
    java.nio.file.Path readableFile(Path path) throws IOException {
        java.nio.file.Path local = localPath(path);
        if (local != null) {
            return local;
        }
        FileSystem fs = fs(path);
        FileStatus status = fs.getFileStatus(path);
        String key = fs.makeQualified(path) + "@" + status.getLen() + "@" + status.getModificationTime();
        try {
            return LOCAL_COPIES.computeIfAbsent(key, k -> {
                try {
                    java.nio.file.Path tmp = Files.createTempFile("hnswlib-rs-spark-", ".hnsw");
                    tmp.toFile().deleteOnExit();
                    try (var in = fs.open(path)) {
                        Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
                    }
                    return tmp;
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }

    /** Writes one file at a local path. */
    interface LocalWriter {
        void write(java.nio.file.Path path) throws IOException;
    }

    private void writeObject(ObjectOutputStream out) throws IOException {
        out.defaultWriteObject();
        conf.write(out);
    }

    private void readObject(ObjectInputStream in) throws IOException, ClassNotFoundException {
        in.defaultReadObject();
        conf = new Configuration(false);
        conf.readFields(in);
    }
}
