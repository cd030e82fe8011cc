# The index object: a reference class in the style of RcppHNSW's HnswL2/HnswCosine/
# HnswIp/HnswEuclidean, over a handle that owns the Rust index. Labels are 1-based.

distance_class <- c(l2 = "HnswL2", euclidean = "HnswEuclidean", cosine = "HnswCosine", ip = "HnswIp")

#' @export
HnswIndex <- setRefClass(
  "HnswIndex",
  fields = list(
    handle = "ANY", distance = "ANY", sqrt_dist = "logical",
    n_threads = "numeric", grain_size = "numeric"
  ),
  methods = list(
    initialize = function(...) {
      args <- list(...)
      n_threads <<- 0
      grain_size <<- 1
      sqrt_dist <<- FALSE
      if (length(args) == 0) return(invisible(.self))
      if (!is.null(args$handle)) {
        handle <<- args$handle
        distance <<- args$distance
        sqrt_dist <<- isTRUE(args$sqrt_dist)
        return(invisible(.self))
      }
      # new(HnswL2, dim, max_elements, M = 16, ef_construction = 200, random_seed = 100)
      # new(HnswL2, dim, filename[, max_elements])
      d <- default_distance()
      dim <- check_count(args[[1]], "dim", 1)
      sqrt_dist <<- identical(d, "euclidean")
      distance <<- d
      if (length(args) >= 2 && is.character(args[[2]])) {
        max_el <- if (length(args) >= 3) check_count(args[[3]], "max_elements") else 0
        handle <<- rs(rs_load(path.expand(args[[2]]), d, dim, max_el, FALSE, 100))
      } else {
        a <- do.call(function(dim, max_elements = 0, M = 16, ef_construction = 200,
                              random_seed = 100) {
          list(max_elements = max_elements, M = M, ef_construction = ef_construction,
               random_seed = random_seed)
        }, args)
        max_el <- check_count(a$max_elements, "max_elements")
        M <- check_count(a$M, "M")
        ef_c <- check_count(a$ef_construction, "ef_construction")
        seed <- check_count(a$random_seed, "random_seed")
        handle <<- rs(rs_new(d, dim, max_el, M, max(ef_c, M), seed, FALSE))
      }
      invisible(.self)
    },
    default_distance = function() {
      switch(class(.self)[1], HnswL2 = "l2", HnswEuclidean = "euclidean",
             HnswCosine = "cosine", HnswIp = "ip",
             stop("use hnsw_index() to create an index with a custom distance", call. = FALSE))
    },
    info = function() {
      "Parameters and counts of the index, as a list."
      rs(rs_info(handle))
    },
    show = function() {
      i <- rs(rs_info(handle))
      d <- if (is.character(distance)) distance else i$distance
      cat(sprintf(
        "hnswlibrs %s index: %s distance, dim %.0f, %.0f items (%.0f deleted), capacity %.0f, M %.0f, ef_construction %.0f, ef %.0f\n",
        class(.self)[1], d, i$dim, i$size, i$deleted, i$max_elements, i$M, i$ef_construction, i$ef))
    },
    size = function() {
      "Number of items in the index (deleted ones included, as hnswlib)."
      rs(rs_info(handle))$size
    },
    getMaxElements = function() rs(rs_info(handle))$max_elements,
    getCurrentCount = function() rs(rs_info(handle))$size,
    getDeletedCount = function() rs(rs_info(handle))$deleted,
    getEf = function() rs(rs_info(handle))$ef,
    setEf = function(ef) {
      "Sets the query-time ef (default 10)."
      rs(rs_set_ef(handle, check_count(ef, "ef", 1)))
      invisible(.self)
    },
    setNumThreads = function(n) {
      "Threads for adds and searches: 0 or 1 runs on the calling thread (as RcppHNSW)."
      n_threads <<- check_count(n, "n_threads")
      invisible(.self)
    },
    setGrainSize = function(g) {
      "Minimum rows per thread."
      grain_size <<- check_count(g, "grain_size")
      invisible(.self)
    },
    chunk_rows = function() {
      # An R distance function runs on the main thread, slowly: short chunks keep
      # Ctrl-C quick.
      if (is.function(distance)) 50 else NULL
    },
    add_rows = function(X, byrow, labels = NULL, replace_deleted = FALSE, progress = NULL, bar = FALSE) {
      X <- check_matrix(X)
      n <- if (byrow) nrow(X) else ncol(X)
      if (!is.null(labels)) labels <- as.numeric(labels)
      rs(rs_check_add(handle, X, byrow, labels, isTRUE(replace_deleted)))
      out <- new.env()
      out$used <- numeric(n)
      run <- drive_chunks(n, function(s, e) {
        l <- if (is.null(labels)) NULL else labels[(s + 1):e]
        out$used[(s + 1):e] <- rs(rs_add(handle, X, byrow, s, e, l, n_threads, grain_size, isTRUE(replace_deleted)))
      }, progress = progress, bar = bar, chunk = chunk_rows())
      if (run$cancelled) stop(cancelled_condition(run, n, "add", index = .self))
      invisible(out$used)
    },
    addItem = function(v) {
      "Adds one item (a numeric vector) under the next label."
      add_rows(matrix(as.numeric(v), nrow = 1), TRUE)
      invisible(.self)
    },
    addItems = function(X, labels = NULL, replace_deleted = FALSE, progress = NULL, verbose = FALSE) {
      "Adds the rows of X, under labels (1-based) or the next labels; existing labels are updated."
      add_rows(X, TRUE, labels, replace_deleted, progress, wants_bar(progress, verbose))
    },
    addItemsCol = function(X, labels = NULL, replace_deleted = FALSE, progress = NULL, verbose = FALSE) {
      "Adds the columns of X (byrow = FALSE)."
      add_rows(X, FALSE, labels, replace_deleted, progress, wants_bar(progress, verbose))
    },
    updateItems = function(labels, X) {
      "Replaces the vectors of existing labels by the rows of X."
      add_rows(X, TRUE, labels)
    },
    search_rows = function(X, k, byrow, ef = -1, progress = NULL, bar = FALSE) {
      X <- check_matrix(X)
      k <- check_count(k, "k", 1)
      n <- if (byrow) nrow(X) else ncol(X)
      if (n == 0) {
        return(list(idx = if (byrow) matrix(integer(), 0, k) else matrix(integer(), k, 0),
                    dist = if (byrow) matrix(numeric(), 0, k) else matrix(numeric(), k, 0)))
      }
      chunk <- chunk_rows()
      if (is.null(progress) && !bar && is.null(chunk) && n <= 20000) {
        return(rs(rs_search(handle, X, byrow, 0, n, k, ef, n_threads, grain_size, sqrt_dist)))
      }
      out <- new.env()
      out$idx <- if (byrow) matrix(NA_integer_, n, k) else matrix(NA_integer_, k, n)
      out$dist <- if (byrow) matrix(NA_real_, n, k) else matrix(NA_real_, k, n)
      run <- drive_chunks(n, function(s, e) {
        r <- rs(rs_search(handle, X, byrow, s, e, k, ef, n_threads, grain_size, sqrt_dist))
        if (byrow) {
          out$idx[(s + 1):e, ] <- r$idx
          out$dist[(s + 1):e, ] <- r$dist
        } else {
          out$idx[, (s + 1):e] <- r$idx
          out$dist[, (s + 1):e] <- r$dist
        }
      }, progress = progress, bar = bar, chunk = chunk)
      if (run$cancelled) stop(cancelled_condition(run, n, "search"))
      list(idx = out$idx, dist = out$dist)
    },
    getNNs = function(v, k) {
      "Labels of the k nearest neighbours of one item, closest first."
      as.vector(search_rows(matrix(as.numeric(v), nrow = 1), k, TRUE)$idx)
    },
    getNNsList = function(v, k, include_distances = TRUE) {
      r <- search_rows(matrix(as.numeric(v), nrow = 1), k, TRUE)
      if (include_distances) list(item = as.vector(r$idx), distance = as.vector(r$dist)) else list(item = as.vector(r$idx))
    },
    getAllNNs = function(X, k) search_rows(X, k, TRUE)$idx,
    getAllNNsList = function(X, k, include_distances = TRUE, progress = NULL, verbose = FALSE) {
      r <- search_rows(X, k, TRUE, progress = progress, bar = wants_bar(progress, verbose))
      if (include_distances) list(item = r$idx, distance = r$dist) else list(item = r$idx)
    },
    getAllNNsCol = function(X, k) search_rows(X, k, FALSE)$idx,
    getAllNNsListCol = function(X, k, include_distances = TRUE, progress = NULL, verbose = FALSE) {
      r <- search_rows(X, k, FALSE, progress = progress, bar = wants_bar(progress, verbose))
      if (include_distances) list(item = r$idx, distance = r$dist) else list(item = r$idx)
    },
    getItems = function(ids) {
      "The stored vectors of labels ids (normalised for cosine), one row each."
      rs(rs_get_items(handle, as.numeric(ids)))
    },
    getIdsList = function() {
      "Every label in the index, deleted ones included."
      rs(rs_ids(handle))
    },
    markDeleted = function(label) {
      "Marks labels deleted: they are never returned by searches."
      rs(rs_mark_deleted(handle, as.numeric(label)))
      invisible(.self)
    },
    unmarkDeleted = function(label) {
      rs(rs_unmark_deleted(handle, as.numeric(label)))
      invisible(.self)
    },
    isDeleted = function(label) rs(rs_is_deleted(handle, as.numeric(label))),
    resizeIndex = function(new_size) {
      "Changes the capacity."
      rs(rs_resize(handle, check_count(new_size, "new_size")))
      invisible(.self)
    },
    save = function(filename) {
      "Saves the index in hnswlib's file format."
      rs(rs_save(handle, path.expand(filename)))
      invisible(.self)
    },
    toRaw = function() {
      "The bytes of the index file, as a raw vector (see hnsw_from_raw())."
      rs(rs_to_raw(handle))
    }
  )
)

# The generators: new(HnswL2, ...) as in RcppHNSW, and HnswL2$new(...).
setRefClass("HnswL2", contains = "HnswIndex")
setRefClass("HnswEuclidean", contains = "HnswIndex")
setRefClass("HnswCosine", contains = "HnswIndex")
setRefClass("HnswIp", contains = "HnswIndex")

setClass("hnswlibrs_generator", contains = "character", slots = c(generator = "refObjectGenerator"))
setMethod("$", "hnswlibrs_generator", function(x, name) {
  g <- x@generator
  eval(call("$", g, name))
})
setMethod("show", "hnswlibrs_generator", function(object) {
  cat("Generator for hnswlibrs index class \"", object@.Data, "\": new(", object@.Data,
      ", dim, max_elements, M = 16, ef_construction = 200, random_seed = 100) or new(",
      object@.Data, ", dim, filename[, max_elements])\n", sep = "")
})

make_generator <- function(name) {
  new("hnswlibrs_generator", structure(name, package = "hnswlibrs"), generator = getRefClass(name))
}

#' @export
HnswL2 <- make_generator("HnswL2")
#' @export
HnswEuclidean <- make_generator("HnswEuclidean")
#' @export
HnswCosine <- make_generator("HnswCosine")
#' @export
HnswIp <- make_generator("HnswIp")

wrap_handle <- function(handle, distance) {
  cls <- if (is.character(distance)) distance_class[[distance]] else "HnswIndex"
  methods::new(cls, handle = handle, distance = distance, sqrt_dist = identical(distance, "euclidean"))
}

check_distance <- function(distance) {
  if (is.character(distance)) {
    if (length(distance) < 1 || !(distance[1] %in% names(distance_class))) {
      stop(hnsw_condition(sprintf(
        "Invalid parameter: distance must be one of \"l2\", \"euclidean\", \"cosine\", \"ip\", a native symbol or an R function, got \"%s\"",
        paste(distance, collapse = " ")), "invalid_argument"))
    }
    return(distance[1])
  }
  distance
}

#' Create an empty index.
#' @export
hnsw_index <- function(distance = "euclidean", dim, max_elements, M = 16, ef_construction = 200,
                       random_seed = 100, allow_replace_deleted = FALSE) {
  distance <- check_distance(distance)
  h <- rs(rs_new(distance, check_count(dim, "dim", 1), check_count(max_elements, "max_elements"),
                 check_count(M, "M"), check_count(ef_construction, "ef_construction"),
                 check_count(random_seed, "random_seed"), isTRUE(allow_replace_deleted)))
  wrap_handle(h, distance)
}

#' Load an index file in hnswlib's format.
#' @export
hnsw_load <- function(filename, distance = "euclidean", dim, max_elements = 0,
                      allow_replace_deleted = FALSE, random_seed = 100) {
  distance <- check_distance(distance)
  h <- rs(rs_load(path.expand(filename), distance, check_count(dim, "dim", 1),
                  check_count(max_elements, "max_elements"), isTRUE(allow_replace_deleted),
                  check_count(random_seed, "random_seed")))
  wrap_handle(h, distance)
}

#' An index from the bytes of an index file (ann$toRaw()).
#' @export
hnsw_from_raw <- function(bytes, distance = "euclidean", dim, max_elements = 0,
                          allow_replace_deleted = FALSE, random_seed = 100) {
  distance <- check_distance(distance)
  h <- rs(rs_from_raw(bytes, distance, check_count(dim, "dim", 1),
                      check_count(max_elements, "max_elements"), isTRUE(allow_replace_deleted),
                      check_count(random_seed, "random_seed")))
  wrap_handle(h, distance)
}
