# hnsw_knn speed: hnswlibrs against RcppHNSW in the same R session, same data, M, ef and
# threads. Not a test: prints build and search times and the ratios RcppHNSW / hnswlibrs
# (above 1 means hnswlibrs is faster), and recall@k of both against exact neighbours of
# a sample.
#
#   make bench-r                                  (100,000 random rows x 50, 2 threads)
#   make bench-r BENCH_R_ARGS="--n 20000 --threads 1"
#   Rscript r/bench/knn_bench.R r/.rlib --npy PATH.npy   (e.g. GloVe 6B 50d, cosine)
#
# Options: --n ROWS --dim D --k K --M M --ef_construction E --ef EF --threads T
#          --distance euclidean|l2|cosine|ip --npy FILE (a float32 .npy; takes the first n rows)
args <- commandArgs(trailingOnly = TRUE)
lib <- if (length(args) && !startsWith(args[1], "--")) args[1] else NULL
opt <- list(n = 100000, dim = 50, k = 10, M = 16, ef_construction = 200, ef = 50,
            threads = 2, distance = "euclidean", npy = "", repeats = 1)
i <- which(startsWith(args, "--"))
for (j in i) {
  name <- substring(args[j], 3)
  if (!name %in% names(opt)) stop("unknown option --", name)
  opt[[name]] <- if (is.numeric(opt[[name]])) as.numeric(args[j + 1]) else args[j + 1]
}
if (!is.null(lib)) .libPaths(c(normalizePath(lib), .libPaths()))
suppressPackageStartupMessages({
  library(hnswlibrs)
  library(RcppHNSW)
})

read_npy_f32 <- function(path, n) {
  con <- file(path, "rb")
  on.exit(close(con))
  magic <- readBin(con, "raw", 6)
  ver <- readBin(con, "integer", 2, size = 1)
  hlen <- if (ver[1] == 1) readBin(con, "integer", 1, size = 2, endian = "little") else
    readBin(con, "integer", 1, size = 4, endian = "little")
  header <- rawToChar(readBin(con, "raw", hlen))
  if (!grepl("'<f4'", header, fixed = TRUE) || grepl("'fortran_order': True", header, fixed = TRUE))
    stop("expected a C-order float32 .npy")
  shape <- as.numeric(strsplit(sub(".*'shape': \\(([0-9, ]+)\\).*", "\\1", header), ",")[[1]])
  rows <- min(n, shape[1])
  v <- readBin(con, "numeric", size = 4, n = rows * shape[2], endian = "little")
  matrix(v, nrow = rows, byrow = TRUE)
}

if (nzchar(opt$npy)) {
  X <- read_npy_f32(opt$npy, opt$n)
} else {
  set.seed(42)
  X <- matrix(rnorm(opt$n * opt$dim), nrow = opt$n)
}
cat(sprintf("data: %d x %d, distance %s, k %d, M %d, ef_construction %d, ef %d, threads %d\n",
            nrow(X), ncol(X), opt$distance, opt$k, opt$M, opt$ef_construction, opt$ef, opt$threads))

time_of <- function(expr) {
  g <- gc(FALSE)
  t <- system.time(expr)[["elapsed"]]
  t
}

run <- function(pkg) {
  build <- if (pkg == "RcppHNSW") RcppHNSW::hnsw_build else hnswlibrs::hnsw_build
  search <- if (pkg == "RcppHNSW") RcppHNSW::hnsw_search else hnswlibrs::hnsw_search
  ann <- NULL
  res <- NULL
  tb <- time_of(ann <- build(X, distance = opt$distance, M = opt$M, ef = opt$ef_construction,
                             n_threads = opt$threads))
  ts <- time_of(res <- search(X, ann, k = opt$k, ef = opt$ef, n_threads = opt$threads))
  list(build = tb, search = ts, idx = res$idx)
}

sample_rows <- sort(sample.int(nrow(X), min(200, nrow(X))))
exact <- function(rows) {
  sq <- rowSums(X^2)
  t(sapply(rows, function(r) {
    q <- X[r, ]
    d <- if (opt$distance %in% c("euclidean", "l2")) sq - 2 * as.vector(X %*% q) else
      if (opt$distance == "cosine") -as.vector(X %*% q) / sqrt(sq) else -as.vector(X %*% q)
    order(d)[1:opt$k]
  }))
}
truth <- exact(sample_rows)
recall <- function(idx) mean(sapply(seq_along(sample_rows), function(i)
  length(intersect(idx[sample_rows[i], ], truth[i, ])))) / opt$k

results <- list()
for (rep in seq_len(opt$repeats)) {
  for (pkg in c("RcppHNSW", "hnswlibrs")) {
    r <- run(pkg)
    cat(sprintf("  %-9s build %7.2f s  search %7.2f s  recall@%d %.4f\n", pkg, r$build, r$search,
                opt$k, recall(r$idx)))
    results[[pkg]] <- rbind(results[[pkg]], c(r$build, r$search))
  }
}
best <- lapply(results, function(m) apply(m, 2, min))
cat(sprintf("ratio RcppHNSW / hnswlibrs (> 1: hnswlibrs faster): build %.2fx  search %.2fx\n",
            best$RcppHNSW[1] / best$hnswlibrs[1], best$RcppHNSW[2] / best$hnswlibrs[2]))
