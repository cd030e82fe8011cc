# The index object: a reference class in the style of RcppHNSW's HnswL2/HnswCosine/
# HnswIp/HnswEuclidean (and HnswL2u8 for u8 vectors), over a handle that owns the Rust
# index. Labels are 1-based.

distance_class <- c(l2 = "HnswL2", euclidean = "HnswEuclidean", cosine = "HnswCosine", ip = "HnswIp",
                    l2u8 = "HnswL2u8")

#' @exportClass HnswIndex
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
      # new(HnswL2, dim, max_elements, M = 16, ef_construction = 200, random_seed = 100,
      #     quantization = "none", keep_vectors = TRUE)
      # new(HnswL2, dim, filename[, max_elements], quantization = "none", keep_vectors = TRUE)
      d <- default_distance()
      dim <- check_count(args[[1]], "dim", 1)
      sqrt_dist <<- identical(d, "euclidean")
      distance <<- d
      if (length(args) >= 2 && is.character(args[[2]])) {
        a <- do.call(function(dim, filename, max_elements = 0, quantization = "none",
                              keep_vectors = TRUE) {
          list(filename = filename, max_elements = max_elements, quantization = quantization,
               keep_vectors = keep_vectors)
        }, args)
        handle <<- rs(rs_load(path.expand(a$filename), d, dim, NULL,
                              check_count(a$max_elements, "max_elements"), FALSE, 100,
                              a$quantization, check_flag(a$keep_vectors, "keep_vectors"),
                              FALSE, FALSE, FALSE))
      } else {
        a <- do.call(function(dim, max_elements = 0, M = 16, ef_construction = 200,
                              random_seed = 100, quantization = "none", keep_vectors = TRUE) {
          list(max_elements = max_elements, M = M, ef_construction = ef_construction,
               random_seed = random_seed, quantization = quantization,
               keep_vectors = keep_vectors)
        }, args)
        max_el <- check_count(a$max_elements, "max_elements")
        M <- check_count(a$M, "M")
        ef_c <- check_count(a$ef_construction, "ef_construction")
        seed <- check_count(a$random_seed, "random_seed")
        handle <<- rs(rs_new(d, dim, max_el, M, max(ef_c, M), seed, FALSE, a$quantization,
                             check_flag(a$keep_vectors, "keep_vectors"), NULL))
      }
      invisible(.self)
    },
    default_distance = function() {
      switch(class(.self)[1], HnswL2 = "l2", HnswEuclidean = "euclidean",
             HnswCosine = "cosine", HnswIp = "ip", HnswL2u8 = "l2u8",
             stop("use hnsw_index() to create an index with a custom distance", call. = FALSE))
    },
    info = function() {
      "Parameters and counts of the index, as a list."
      rs(rs_info(handle))
    },
    show = function() {
      i <- rs(rs_info(handle))
      d <- if (is.character(distance)) distance else i$distance
      q <- if (i$quantization == "none") "" else {
        sprintf(", %s %s", i$quantization, if (i$keep_vectors) "codes and vectors" else "codes only")
      }
      v <- if (i$view) ", read-only view of a file" else ""
      cat(sprintf(
        "hnswlibrs %s index: %s distance, dim %.0f, %.0f items (%.0f deleted), capacity %.0f, M %.0f, ef_construction %.0f, ef %.0f%s%s\n",
        class(.self)[1], d, i$dim, i$size, i$deleted, i$max_elements, i$M, i$ef_construction, i$ef, q, v))
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
    setRerank = function(rerank) {
      "Sets the re-ranking depth of a quantized index: rerank x k candidates re-scored exactly."
      rs(rs_set_rerank(handle, rerank))
      invisible(.self)
    },
    getRerank = function() rs(rs_info(handle))$rerank,
    getQuantization = function() rs(rs_info(handle))$quantization,
    keepsVectors = function() rs(rs_info(handle))$keep_vectors,
    isTrained = function() rs(rs_info(handle))$trained,
    isView = function() {
      "Whether the index is a read-only view of a native file (hnsw_load(mmap = TRUE))."
      rs(rs_info(handle))$view
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
      add_rows(item_row(v), TRUE)
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
    search_rows = function(X, k, byrow, ef = -1, progress = NULL, bar = FALSE, rerank = NULL,
                           filter = NULL) {
      X <- check_matrix(X)
      k <- check_count(k, "k", 1)
      n <- if (byrow) nrow(X) else ncol(X)
      if (n == 0) {
        return(list(idx = if (byrow) matrix(integer(), 0, k) else matrix(integer(), k, 0),
                    dist = if (byrow) matrix(numeric(), 0, k) else matrix(numeric(), k, 0)))
      }
      chunk <- chunk_rows()
      if (is.null(progress) && !bar && is.null(chunk) && n <= 20000) {
        return(rs(rs_search(handle, X, byrow, 0, n, k, ef, n_threads, grain_size, sqrt_dist, rerank,
                               filter)))
      }
      out <- new.env()
      out$idx <- if (byrow) matrix(NA_integer_, n, k) else matrix(NA_integer_, k, n)
      out$dist <- if (byrow) matrix(NA_real_, n, k) else matrix(NA_real_, k, n)
      run <- drive_chunks(n, function(s, e) {
        r <- rs(rs_search(handle, X, byrow, s, e, k, ef, n_threads, grain_size, sqrt_dist, rerank, filter))
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
    getNNs = function(v, k, rerank = NULL) {
      "Labels of the k nearest neighbours of one item, closest first."
      as.vector(search_rows(item_row(v), k, TRUE, rerank = rerank)$idx)
    },
    getNNsList = function(v, k, include_distances = TRUE, rerank = NULL) {
      r <- search_rows(item_row(v), k, TRUE, rerank = rerank)
      if (include_distances) list(item = as.vector(r$idx), distance = as.vector(r$dist)) else list(item = as.vector(r$idx))
    },
    getAllNNs = function(X, k, rerank = NULL) search_rows(X, k, TRUE, rerank = rerank)$idx,
    getAllNNsList = function(X, k, include_distances = TRUE, progress = NULL, verbose = FALSE,
                             rerank = NULL) {
      r <- search_rows(X, k, TRUE, progress = progress, bar = wants_bar(progress, verbose),
                       rerank = rerank)
      if (include_distances) list(item = r$idx, distance = r$dist) else list(item = r$idx)
    },
    getAllNNsCol = function(X, k, rerank = NULL) search_rows(X, k, FALSE, rerank = rerank)$idx,
    getAllNNsListCol = function(X, k, include_distances = TRUE, progress = NULL, verbose = FALSE,
                                rerank = NULL) {
      r <- search_rows(X, k, FALSE, progress = progress, bar = wants_bar(progress, verbose),
                       rerank = rerank)
      if (include_distances) list(item = r$idx, distance = r$dist) else list(item = r$idx)
    },
    getItems = function(ids) {
      "The stored vectors of labels ids (normalised for cosine; integers for u8 vectors), one row each."
      rs(rs_get_items(handle, as.numeric(ids)))
    },
    getIdsList = function() {
      "Every label in the index, deleted ones included."
      rs(rs_ids(handle))
    },
    checkIntegrity = function() {
      "hnswlib's checkIntegrity: link counts of a sound graph; an error on a damaged one."
      rs(rs_check_integrity(handle))
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
    save = function(filename, sync = TRUE, format = c("hnswlib", "native")) {
      "Saves the index in hnswlib's file format (the default) or the native one."
      rs(rs_save(handle, check_filename(filename), check_flag(sync, "sync"), check_format(format)))
      invisible(.self)
    },
    toRaw = function(format = c("hnswlib", "native")) {
      "The bytes of the index file, as a raw vector (see hnsw_from_raw())."
      rs(rs_to_raw(handle, check_format(format)))
    }
  )
)

# The generators: new(HnswL2, ...) as in RcppHNSW, and HnswL2$new(...).
setRefClass("HnswL2", contains = "HnswIndex")
setRefClass("HnswEuclidean", contains = "HnswIndex")
setRefClass("HnswCosine", contains = "HnswIndex")
setRefClass("HnswIp", contains = "HnswIndex")
setRefClass("HnswL2u8", contains = "HnswIndex")

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

#' HNSW index classes: HnswL2, HnswEuclidean, HnswCosine, HnswIp, HnswL2u8
#'
#' Reference classes of HNSW indexes, in the style of RcppHNSW's classes of the
#' same names: create one with `new()`, [hnsw_build()], [hnsw_index()] or
#' [hnsw_load()], then call its methods with `$`. `HnswL2` uses the squared
#' Euclidean distance, `HnswEuclidean` the same index returning Euclidean
#' distances (square roots), `HnswCosine` 1 minus the cosine similarity (items are
#' normalised when added) and `HnswIp` 1 minus the inner product. `HnswL2u8`,
#' beyond RcppHNSW, holds vectors of unsigned bytes compared by their squared
#' Euclidean distance in integers (hnswlib's `L2SpaceI`; see the section u8
#' vectors of [hnsw_build()]): its items and queries are raw matrices or whole
#' numbers from 0 to 255, and `$getItems()` returns integers. All five extend
#' the class `HnswIndex`, which is also the class of indexes with a custom
#' distance (see [hnsw_index()]); test for an index with `is(x, "HnswIndex")`.
#'
#' @section Construction:
#' \preformatted{
#' new(HnswL2, dim, max_elements = 0, M = 16, ef_construction = 200,
#'     random_seed = 100, quantization = "none", keep_vectors = TRUE)
#' new(HnswL2, dim, filename, max_elements = 0, quantization = "none",
#'     keep_vectors = TRUE)
#' HnswL2$new(dim, max_elements, ...)
#' }
#' and likewise for `HnswEuclidean`, `HnswCosine`, `HnswIp` and `HnswL2u8` (these objects are
#' generators: `$new()` and the other methods of reference class generators work
#' on them). The first form
#' makes an empty index for items of `dim` values with room for `max_elements`
#' items; `ef_construction` below `M` is raised to `M`, and the arguments are
#' checked as in [hnsw_index()]. The second form loads an index file (as
#' [hnsw_load()], whose `max_elements` it takes as third argument). `quantization`
#' and `keep_vectors` are those of [hnsw_build()]: 8- or 4-bit codes for the
#' searches (see the section Quantized storage below); a loaded index makes them
#' from the file's vectors. `dim`,
#' `max_elements`, `M`, `ef_construction` and `random_seed` must be whole numbers
#' (`dim` >= 1), otherwise the call fails with an error. To let new items reuse
#' the slots of deleted ones, create the index with [hnsw_index()] or
#' [hnsw_load()] and `allow_replace_deleted = TRUE`.
#'
#' @section Adding items:
#' Labels are 1-based numbers (whole numbers from 1 to 2^53; searches return them
#' as integers and fail on labels above 2147483647). Every batch is
#' checked before its first item is added: its dimension, `NA`/`NaN`/`Inf`
#' values, the number of labels and the room left. An error then adds nothing.
#' Adding beyond the capacity is an `hnswlibrs_capacity` error: grow the index
#' with `$resizeIndex()` first.
#' * `$addItem(v)`: adds the numeric vector `v` (of length `dim`) under the next
#'   automatic label. Automatic labels are 1, 2, ... for a new index, the number
#'   of items + 1, + 2, ... after loading a file; each batch added moves them on
#'   by its number of rows (`$info()$next_label` tells the next one).
#' * `$addItems(X, labels = NULL, replace_deleted = FALSE, progress = NULL,
#'   verbose = FALSE)`: adds the rows of the matrix `X` under `labels` (a numeric
#'   vector with one label per row, else an `hnswlibrs_invalid_argument` error)
#'   or under the next automatic labels, and returns the labels used, invisibly.
#'   A label that is already in the index is updated: its vector is replaced and
#'   its links repaired; a deleted label is updated and undeleted (in an index
#'   that allows replacing deleted items, that needs `replace_deleted = TRUE`,
#'   else an `hnswlibrs_state` error). With `replace_deleted = TRUE` new items
#'   reuse the slots of deleted items, whose labels then leave the index; that
#'   needs an index created with `allow_replace_deleted = TRUE` (else an
#'   `hnswlibrs_state` error). `progress` and `verbose` are as in [hnsw_build()]
#'   (a function `function(done, total)`; `verbose = TRUE` draws a progress bar);
#'   Ctrl-C or a `progress` function returning `FALSE` stop the batch with an
#'   `hnswlibrs_cancelled` condition, leaving the rows added so far in the index.
#'   Works on `$setNumThreads()` threads.
#' * `$addItemsCol(X, labels = NULL, replace_deleted = FALSE, progress = NULL,
#'   verbose = FALSE)`: as `$addItems()`, for items in the columns of `X`.
#' * `$updateItems(labels, X)`: as `$addItems(X, labels)`: replaces the vectors of
#'   labels in the index by the rows of `X` (labels not in the index are added).
#'
#' @section Searching:
#' Searches use the index's query-time `ef` (`$setEf()`; at least `k` is used)
#' and `$setNumThreads()` threads. Each returns labels (1-based integers) closest
#' first; deleted items are never returned. When `k` items cannot be found for a
#' query (fewer than `k` items that are not deleted), the call fails with an
#' `hnswlibrs_state` error. `k` is a whole number >= 1.
#' Every search method also takes `rerank = NULL`, the re-ranking depth of a
#' quantized index for that call (as in [hnsw_search()]).
#' * `$getNNs(v, k)`: the labels of the `k` nearest neighbours of the vector `v`,
#'   an integer vector.
#' * `$getNNsList(v, k, include_distances = TRUE)`: `list(item, distance)`, the
#'   labels and the distances of the `k` nearest neighbours of `v` (only `item`
#'   when `include_distances = FALSE`).
#' * `$getAllNNs(X, k)`: the labels of the `k` nearest neighbours of each row of
#'   the matrix `X`, an `nrow(X)` x `k` integer matrix.
#' * `$getAllNNsList(X, k, include_distances = TRUE, progress = NULL, verbose =
#'   FALSE)`: `list(item, distance)` of `nrow(X)` x `k` matrices of labels and
#'   distances (only `item` when `include_distances = FALSE`). `progress` and
#'   `verbose` are as in [hnsw_search()].
#' * `$getAllNNsCol(X, k)`, `$getAllNNsListCol(X, k, include_distances = TRUE,
#'   progress = NULL, verbose = FALSE)`: as the two above, for queries in the
#'   columns of `X`; the results are `k` x `ncol(X)`, one column per query.
#' * `$getItems(ids)`: the stored vectors of the labels `ids`, a `length(ids)` x
#'   `dim` matrix (in single precision, and normalised for `HnswCosine`; for an
#'   index that keeps only codes, the vectors the codes stand for; an integer
#'   matrix of values 0 to 255 for `HnswL2u8`). A label
#'   that is not in the index, or is deleted, is an `hnswlibrs_label_not_found`
#'   error.
#' * `$getIdsList()`: every label in the index, deleted ones included, ascending.
#' * `$checkIntegrity()`: hnswlib's `checkIntegrity`; checks every link list of the
#'   graph and returns `list(connections, min_inbound, max_inbound, without_inbound)`;
#'   a damaged graph (a self link, a repeated link) is an `hnswlibrs_format` error.
#'
#' @section Deleting items:
#' Deleted items still guide searches through the graph but are never returned;
#' they count in `$size()` until their slots are reused (`replace_deleted`).
#' * `$markDeleted(label)`: marks the labels in the vector `label` deleted, in
#'   order, stopping at the first error: an unknown label is an
#'   `hnswlibrs_label_not_found` error, a deleted one an `hnswlibrs_state` error.
#'   Labels that are not whole numbers >= 1 are an `hnswlibrs_invalid_argument`
#'   error before any label is marked.
#' * `$unmarkDeleted(label)`: undoes `$markDeleted()`; a label that is not
#'   deleted is an `hnswlibrs_state` error.
#' * `$isDeleted(label)`: a logical vector, whether each label is deleted.
#'
#' @section Size and parameters:
#' * `$size()`, `$getCurrentCount()`: the number of items, deleted ones included
#'   (as in hnswlib).
#' * `$getDeletedCount()`: the number of deleted items.
#' * `$getMaxElements()`: the capacity.
#' * `$resizeIndex(new_size)`: changes the capacity to `new_size`; below the
#'   number of items it is an `hnswlibrs_state` error.
#' * `$setEf(ef)`, `$getEf()`: the query-time `ef`, the size of the candidate list
#'   of searches (a whole number >= 1; 10 for a new or loaded index). Larger
#'   values give better recall and slower searches.
#' * `$setNumThreads(n)`: the threads of later adds and searches, as `n_threads`
#'   of [hnsw_build()]: 0 (the default) or 1 works on the calling thread.
#' * `$setGrainSize(g)`: the minimum number of items per thread (default 1).
#' * `$info()`: a list of the index's parameters and counts: `distance` (`"l2"`,
#'   `"ip"`, `"cosine"`, `"l2u8"`, `"native"` or `"R function"`; an `HnswEuclidean` index
#'   says `"l2"`), `dim`, `size`, `deleted`, `max_elements`, `M`,
#'   `ef_construction`, `ef`, `random_seed`, `allow_replace_deleted`, `next_label`
#'   (the next automatic label), `kernels` (the SIMD distance kernels in use),
#'   `quantization`, `keep_vectors`, `trained` and `rerank` (see below), and `view`
#'   (see `$isView()`).
#' * `$show()`, or printing the index: a one-line summary.
#'
#' The setters return the index invisibly, so calls can be chained.
#'
#' @section Quantized storage:
#' An index created or loaded with `quantization = "sq8"` or `"sq4"` searches on
#' 8- or 4-bit codes of its vectors and re-scores the best candidates exactly (see
#' the section Quantized storage of [hnsw_build()]).
#' * `$getQuantization()`: `"none"`, `"sq8"` or `"sq4"`.
#' * `$keepsVectors()`: whether the index keeps its exact vectors (always `TRUE`
#'   without quantization).
#' * `$isTrained()`: whether a quantized index has learnt its codes (it does when
#'   it holds 1,000 items; it stores and searches exact vectors until then).
#'   `FALSE` without quantization.
#' * `$setRerank(rerank)`, `$getRerank()`: the re-ranking depth of its searches,
#'   `rerank * k` candidates (at most `ef`) re-scored with exact distances; values
#'   below 1 count as 1. 2 for `"sq8"` and 4 for `"sq4"` by default; a search's
#'   `rerank` argument overrides it for one call. Anything but one finite number
#'   is an `hnswlibrs_invalid_argument` error. No effect without quantization.
#'
#' @section Saving:
#' * `$save(filename, sync = TRUE, format = "hnswlib")`: writes the index file,
#'   as [hnsw_save()] does (see it for `sync` and the two formats),
#'   atomically: a temporary file renamed over `filename` (`~` is expanded; an
#'   `hnswlibrs_io` error when it cannot be written). In hnswlib's format (the
#'   default) hnswlib (C++
#'   and Python) and RcppHNSW read these files, and [hnsw_load()] reads theirs;
#'   the file stores label `l` as `l - 1`, as RcppHNSW does, so 0-based labels
#'   written by hnswlib's Python binding come back one higher. That file records
#'   neither the distance nor the query-time `ef`, nor the quantization: a
#'   quantized index writes its exact vectors, the same file as without
#'   quantization. An index that keeps only codes (`keep_vectors = FALSE`) cannot
#'   be written in it once it has learnt them: an `hnswlibrs_state` error, and no
#'   file. `format = "native"` writes hnswlib-rs's own format, which records all
#'   of these, holds any index, and can be viewed memory-mapped (`hnsw_load(f,
#'   mmap = TRUE)`).
#' * `$toRaw(format = "hnswlib")`: the bytes of that file, a raw vector (see
#'   [hnsw_from_raw()]), with the same error for an index that keeps only codes
#'   in hnswlib's format.
#' * `$isView()`: whether the index is a read-only view of a native file, opened
#'   by `hnsw_load(filename, mmap = TRUE)`. Searches and reads work on it as on
#'   any index; adds, updates, deletion, undeletion and resizing are
#'   `hnswlibrs_state` errors that name the read-only view (see the section
#'   Memory-mapped views of [hnsw_load()]).
#'
#' An index can also be saved with [saveRDS()] (or [serialize()], e.g. to send it
#' to parallel workers): unlike RcppHNSW's, it comes back from [readRDS()] as a
#' working index, in this or another R session (the package is loaded as
#' needed), with its `ef` and its quantization, `keep_vectors` and re-ranking
#' depth (the codes are made again from the vectors). An index that keeps only
#' codes cannot be serialised: [saveRDS()] and [serialize()] fail with an
#' `hnswlibrs_state` error. The copy is independent of the original. An index with
#' an R distance function keeps the function; one with a native distance from
#' [getNativeSymbolInfo()] finds the symbol again by name, so its library must be
#' loaded before reading it.
#'
#' Assigning an index (`b <- a`) does not copy it: both names refer to the same
#' index, as with RcppHNSW's classes.
#'
#' @name HnswL2
#' @aliases HnswL2 HnswEuclidean HnswCosine HnswIp HnswL2u8 HnswIndex HnswIndex-class
#'   HnswL2-class HnswEuclidean-class HnswCosine-class HnswIp-class HnswL2u8-class
#'   $,hnswlibrs_generator-method
#' @seealso [hnsw_build()], [hnsw_search()], [hnsw_index()], [hnsw_save()],
#'   [hnsw_load()].
#' @examples
#' X <- matrix(rnorm(300 * 4), ncol = 4)
#' ann <- new(HnswL2, 4, 300, M = 8, ef_construction = 50)
#' ann$addItems(X[1:250, ])
#' ann$addItem(X[251, ])
#' ann$size()
#' ann$setEf(20)
#' ann$getNNs(X[1, ], 3)
#' ann$getNNsList(X[1, ], 3)
#' nn <- ann$getAllNNsList(X[1:5, ], 3)
#' nn$item
#' ann$getAllNNsCol(t(X[1:5, ]), 3)
#' ann$getItems(c(1, 2))
#' ann
#'
#' # own labels, updates and deletion
#' cos <- new(HnswCosine, 4, 100)
#' used <- cos$addItems(X[1:50, ], labels = 1001:1050)
#' cos$updateItems(1001, X[60, , drop = FALSE])
#' cos$markDeleted(c(1002, 1003))
#' cos$isDeleted(1001:1003)
#' cos$getDeletedCount()
#' cos$unmarkDeleted(1002)
#'
#' # growing, saving and loading
#' ann$resizeIndex(400)
#' ann$addItems(X[252:300, ])
#' f <- tempfile(fileext = ".hnsw")
#' ann$save(f)
#' same <- new(HnswL2, 4, f)
#' same$getNNs(X[1, ], 3)
#' rds <- tempfile(fileext = ".rds")
#' saveRDS(ann, rds)
#' copy <- readRDS(rds)
#' copy$getNNs(X[1, ], 3)
#'
#' # 8-bit codes with exact re-ranking, here made from the file's vectors
#' Y <- matrix(rnorm(1500 * 4), ncol = 4)
#' big <- new(HnswL2, 4, 1500)
#' big$addItems(Y)
#' big$save(f)
#' sq8 <- new(HnswL2, 4, f, quantization = "sq8")
#' sq8$getQuantization()
#' sq8$isTrained()
#' sq8$setRerank(3)$getRerank()
#' sq8$getNNsList(Y[1, ], 3, rerank = 5)
#' unlink(c(f, rds))
NULL

#' @export
HnswL2 <- make_generator("HnswL2")
#' @export
HnswEuclidean <- make_generator("HnswEuclidean")
#' @export
HnswCosine <- make_generator("HnswCosine")
#' @export
HnswIp <- make_generator("HnswIp")
#' @export
HnswL2u8 <- make_generator("HnswL2u8")

# One item (a vector) as a one-row matrix: numeric, or raw for u8 vectors.
item_row <- function(v) {
  matrix(if (is.raw(v)) v else as.numeric(v), nrow = 1)
}

wrap_handle <- function(handle, distance) {
  cls <- if (is.character(distance)) distance_class[[distance]] else "HnswIndex"
  methods::new(cls, handle = handle, distance = distance, sqrt_dist = identical(distance, "euclidean"))
}

check_distance <- function(distance) {
  if (is.character(distance)) {
    if (length(distance) < 1 || !(distance[1] %in% names(distance_class))) {
      stop(hnsw_condition(sprintf(
        "Invalid parameter: distance must be one of \"l2\", \"euclidean\", \"cosine\", \"ip\", \"l2u8\", a native symbol or an R function, got \"%s\"",
        paste(distance, collapse = " ")), "invalid_argument"))
    }
    return(distance[1])
  }
  distance
}

#' Create an empty HNSW index
#'
#' Creates an index with room for `max_elements` items of `dim` values, to fill
#' with its `$addItems()` method (see [HnswL2]). Unlike `new(HnswL2, ...)` it
#' takes a custom distance and `allow_replace_deleted`.
#'
#' @section Custom distances:
#' A C function (a native symbol) must have hnswlib's signature,
#' \preformatted{float f(const void *a, const void *b, const void *param)}
#' where `a` and `b` point to two items of `dim` single-precision floats and
#' `param` points to `dim` as a `size_t`; it must return the distance (smaller is
#' closer). Compile it into a shared library, load that with [dyn.load()] and
#' give `getNativeSymbolInfo("f", dll)`, or its `$address` (an external pointer).
#' Symbols registered with R's routine registration are refused (their address
#' is not the function's), and a NULL pointer is an `hnswlibrs_invalid_argument`
#' error. The function is called from many threads at once, so it must be
#' thread-safe, and its library must stay loaded while the index is used.
#'
#' An R function `function(a, b)` gets two numeric vectors of length `dim` (the
#' items' values in single precision) and must return one finite number. It is
#' slow, one R call per distance, and meant for experiments: R runs only on its
#' main thread, so such an index adds and searches on the calling thread, one
#' distance at a time, whatever the number of threads, in chunks of 50 items so
#' that Ctrl-C is noticed. When the function fails or returns anything else, the
#' batch stops with an `hnswlibrs_distance` error; the items added before stay in
#' the index (the one being added may be poorly linked).
#'
#' Indexes with a custom distance have class `HnswIndex` and `$info()$distance`
#' `"native"` or `"R function"`. The index file written by `$save()` does not
#' record the distance: load it with [hnsw_load()] and the same distance. Give the
#' distance a name (`distance_name`): the native format keeps it, so a file read
#' with a distance of another name is an error instead of wrong results. With
#' [saveRDS()] the index keeps an R function, and a native symbol from
#' [getNativeSymbolInfo()] by its name and library (load the library before
#' [readRDS()]); an index made from a bare `$address` cannot be read back.
#'
#' @param distance `"euclidean"` (the default), `"l2"`, `"cosine"`, `"ip"` or
#'   `"l2u8"` (see [hnsw_build()]; here names must be given in full, and any other string is an
#'   `hnswlibrs_invalid_argument` error), or a custom distance: a native symbol
#'   (as returned by [getNativeSymbolInfo()], or its `$address`) or an R function
#'   (see the section Custom distances).
#' @param dim The number of values of each item, a whole number >= 1.
#' @param max_elements The capacity, a whole number >= 0. Adding more items is an
#'   `hnswlibrs_capacity` error; `$resizeIndex()` changes it.
#' @param M The number of neighbours each item is linked to (hnswlib's `M`), a
#'   whole number from 2 to 10,000, else an `hnswlibrs_invalid_argument` error.
#' @param ef_construction The size of the candidate list while adding items, a
#'   whole number of at least `M` (it is not raised here: a smaller value is an
#'   `hnswlibrs_invalid_argument` error).
#' @param random_seed The seed of the generator of the items' levels, a whole
#'   number >= 0.
#' @param allow_replace_deleted `TRUE` lets `$addItems(..., replace_deleted =
#'   TRUE)` put new items in the slots of deleted ones (hnswlib's
#'   `allow_replace_deleted`). Such an index updates a deleted label only with
#'   `replace_deleted = TRUE`.
#' @inheritParams hnsw_build
#'
#' @return An empty index (see [HnswL2] for its methods) of class
#'   `HnswEuclidean`, `HnswL2`, `HnswCosine`, `HnswIp` or `HnswL2u8` according to `distance`,
#'   or `HnswIndex` for a custom distance, with query-time `ef` 10.
#'
#' @seealso [hnsw_build()] to build an index from a matrix in one call, [HnswL2].
#' @examples
#' X <- matrix(rnorm(100 * 3), ncol = 3)
#' ann <- hnsw_index("cosine", dim = 3, max_elements = 80, M = 8, ef_construction = 40)
#' ann$addItems(X[1:80, ])
#' ann$resizeIndex(100)
#' ann$addItems(X[81:100, ])
#' hnsw_search(X[1:2, ], ann, k = 3)
#'
#' # reuse the slots of deleted items
#' small <- hnsw_index("l2", dim = 3, max_elements = 10, allow_replace_deleted = TRUE)
#' small$addItems(X[1:10, ])
#' small$markDeleted(4)
#' small$addItems(X[11, , drop = FALSE], labels = 11, replace_deleted = TRUE)
#' small$getIdsList()
#'
#' # 4-bit codes only: the codes are learnt when the index holds 1,000 items
#' q4 <- hnsw_index("l2", dim = 3, max_elements = 1000, quantization = "sq4",
#'                  keep_vectors = FALSE)
#' q4$addItems(matrix(rnorm(1000 * 3), ncol = 3))
#' c(q4$isTrained(), q4$keepsVectors())
#'
#' # an R function as the distance (slow: for experiments)
#' manhattan <- function(a, b) sum(abs(a - b))
#' l1 <- hnsw_index(manhattan, dim = 3, max_elements = 60, M = 8, ef_construction = 20)
#' l1$addItems(X[1:60, ])
#' l1$getNNsList(X[1, ], 3)
#' @export
hnsw_index <- function(distance = "euclidean", dim, max_elements, M = 16, ef_construction = 200,
                       random_seed = 100, allow_replace_deleted = FALSE, quantization = "none",
                       keep_vectors = TRUE, distance_name = NULL) {
  distance <- check_distance(distance)
  h <- rs(rs_new(distance, check_count(dim, "dim", 1), check_count(max_elements, "max_elements"),
                 check_count(M, "M"), check_count(ef_construction, "ef_construction"),
                 check_count(random_seed, "random_seed"), isTRUE(allow_replace_deleted),
                 quantization, check_flag(keep_vectors, "keep_vectors"), distance_name))
  wrap_handle(h, distance)
}

#' Save an HNSW index file
#'
#' Writes an index to a file in hnswlib's format (the default) or in hnswlib-rs's
#' native format. `ann$save(filename, sync, format)` (see [HnswL2]) does the same.
#'
#' @section File formats:
#' `format = "hnswlib"` writes hnswlib's own file, byte for byte: hnswlib (C++ and
#' Python) and RcppHNSW read it, and [hnsw_load()] reads theirs. It records neither
#' the distance, the dimension, the query-time `ef` nor the quantization (a
#' quantized index writes its exact vectors), so [hnsw_load()] must be given `dim`
#' and the distance. An index that keeps only codes (`keep_vectors = FALSE`) cannot
#' be written in it once it has learnt them: an `hnswlibrs_state` error, and no
#' file.
#'
#' `format = "native"` writes hnswlib-rs's own format, which every language of
#' hnswlib-rs reads (but hnswlib and RcppHNSW do not): it records the distance,
#' the dimension, `M`, `ef_construction`, the query-time `ef`, the re-ranking
#' depth, the quantization with its codes, the capacity and the deleted marks,
#' checksums each part, and lays the graph out as it is in memory. So
#' [hnsw_load()] reads it with no other argument and gives back the index as it
#' was saved, and `hnsw_load(filename, mmap = TRUE)` opens it as a read-only view
#' in milliseconds, whatever its size. It holds any index, codes-only ones
#' included. An index with a custom distance is recorded as such, without the
#' function: read it back with its distance and `dim`. The `"euclidean"` and
#' `"l2"` distances are one space in the file (see [hnsw_load()]).
#'
#' In both formats label `l` is stored as `l - 1`, as RcppHNSW does.
#'
#' @param ann An index, from [hnsw_build()], [hnsw_index()], [hnsw_load()] (a
#'   read-only view too) or `new(HnswL2, ...)` and the like; anything else is an
#'   error.
#' @param filename The path of the file (`~` is expanded). A file that cannot be
#'   written is an `hnswlibrs_io` error. The file is written atomically: a
#'   temporary file, renamed over `filename`, so a failed save leaves the previous
#'   file and a view of it keeps working.
#' @param format `"hnswlib"` (the default) or `"native"` (see the section File
#'   formats); anything else is an `hnswlibrs_invalid_argument` error.
#' @param sync `TRUE` (the default): the file is on disk when the call returns.
#'   `FALSE` returns once the bytes are in the page cache, as RcppHNSW's `$save()`
#'   does (faster, but a crash soon after may leave the previous file). Anything
#'   but `TRUE` or `FALSE` is an error.
#'
#' @return `ann`, invisibly.
#' @seealso [hnsw_load()], the `$save()` and `$toRaw()` methods of [HnswL2].
#' @examples
#' X <- matrix(rnorm(500 * 8), ncol = 8)
#' ann <- hnsw_build(X, distance = "cosine", M = 8, ef = 50)
#' ann$setEf(40)
#' f <- tempfile(fileext = ".hnsw")
#' hnsw_save(ann, f, format = "native")
#' same <- hnsw_load(f) # the file names its distance, dimension and ef
#' c(same$info()$distance, same$info()$dim, same$getEf())
#' identical(hnsw_search(X[1:3, ], same, k = 4), hnsw_search(X[1:3, ], ann, k = 4))
#' hnsw_save(ann, f) # hnswlib's format, which hnswlib and RcppHNSW read
#' old <- hnsw_load(f, distance = "cosine", dim = 8)
#' unlink(f)
#' @export
hnsw_save <- function(ann, filename, format = c("hnswlib", "native"), sync = TRUE) {
  check_ann(ann)
  rs(rs_save(ann$handle, check_filename(filename), check_flag(sync, "sync"), check_format(format)))
  invisible(ann)
}

#' Load an HNSW index file, or view it memory-mapped
#'
#' `hnsw_load()` reads an index file in either format that [hnsw_save()] writes,
#' told apart by the file's first bytes: hnswlib's, as written by `$save()`, by
#' hnswlib's C++ `saveIndex()` and Python `save_index()`, or by RcppHNSW's
#' `$save()`; or hnswlib-rs's native format, as written by `hnsw_save(format =
#' "native")` or by hnswlib-rs in another language. With `mmap = TRUE` it maps a
#' native file into memory read-only instead of reading it (see the section
#' Memory-mapped views). `hnsw_from_raw()` reads the same bytes from a raw vector,
#' e.g. from `$toRaw()`.
#'
#' A native file records its distance, dimension and settings, so
#' `hnsw_load(filename)` needs no other argument: the index comes back with the
#' file's distance, dimension, capacity, `ef`, re-ranking depth and quantization
#' (its codes included), and searches as it did when saved. The file does not
#' tell `"euclidean"` from `"l2"` (one space): such a file loads as `HnswEuclidean`,
#' the package's default distance, unless `distance = "l2"` is given. A `distance`
#' or `dim` that is given must be the file's, else an `hnswlibrs_invalid_argument`
#' error. An index with a custom distance is read with that distance and its `dim`
#' (and its `distance_name`, if it was saved with one: see that argument).
#' A file of u8 vectors loads as `HnswL2u8` (see the section u8 vectors of
#' [hnsw_build()]); in hnswlib's format (e.g. written by hnswlib's C++ with
#' `L2SpaceI`), read it with `distance = "l2u8"` and its `dim`.
#'
#' hnswlib's format records neither the distance, the dimension nor the
#' query-time `ef`: give `dim` (without it, an `hnswlibrs_format` error) and the
#' distance the index was built with (`"euclidean"` when not
#' given; an index built with another one loads, but its searches are
#' meaningless), and `$setEf()` if 10 is not wanted. Labels are stored 0-based,
#' as RcppHNSW does: the label `l` in R is `l - 1` in the file, so a file written
#' by hnswlib's Python binding with labels from 0 gives labels from 1.
#'
#' In both formats items marked deleted stay deleted, and the next automatic label
#' is the number of items + 1.
#'
#' @section Memory-mapped views:
#' `hnsw_load(filename, mmap = TRUE)` opens a native file as a read-only view:
#' the file is mapped into memory, not read, and searches use its vectors and links
#' where they lie. Opening takes milliseconds whatever the size; an index larger
#' than memory can be searched (the system pages it in and out); and R processes
#' that view one file (forked [parallel::mclapply()] workers, or separate R
#' sessions) share one copy of it in the page cache instead of holding one each.
#' A view of a file in hnswlib's format, or of a raw vector, is not possible: the
#' file is an `hnswlibrs_format` error, as its load without `dim` is (load it with
#' its distance and `dim`, or save it again with `format = "native"`).
#'
#' A view searches, reads its items and labels, reports its settings and saves
#' (`$save()`, [hnsw_save()], `$toRaw()`) like a loaded index, and its
#' `$isView()` is `TRUE`. Whatever would change it (`$addItems()` and the other
#' adds, `$updateItems()`, `$markDeleted()`, `$unmarkDeleted()`,
#' `$resizeIndex()`) fails with an `hnswlibrs_state` error saying that the index
#' is a read-only view, and changes nothing: load the file to change it.
#' `$setEf()` and `$setRerank()` work: they set the R object's searches, not the
#' file. [saveRDS()] and [serialize()] store the index itself, not the file's
#' name, and [readRDS()] gives back an ordinary (loaded) index.
#'
#' The file must not be truncated or rewritten in place while it is viewed; saving
#' over it with [hnsw_save()] (which writes a new file and renames it) or deleting
#' it is safe: the view keeps the contents it mapped.
#'
#' @param filename The path of the file (`~` is expanded). A file that cannot be
#'   read is an `hnswlibrs_io` error; a truncated or corrupted file, or one whose
#'   items do not have `dim` values, is an `hnswlibrs_format` error (or another
#'   `hnswlibrs_error`), never a crash.
#' @param bytes A raw vector holding an index file, else an
#'   `hnswlibrs_invalid_argument` error; bad bytes are `hnswlibrs_format` errors.
#' @param distance The distance the index was built with: `"euclidean"`, `"l2"`,
#'   `"cosine"`, `"ip"` or `"l2u8"`, or a custom distance as in [hnsw_index()]. `"euclidean"`
#'   and `"l2"` read the same files; `"euclidean"` returns the square roots of the
#'   distances. `NULL` (the default): the file's own distance for a native file
#'   (`"euclidean"` for its l2 space), `"euclidean"` for hnswlib's format.
#' @param dim The number of values of each item, a whole number >= 1. `NULL` (the
#'   default) for a native file, which records it; required for hnswlib's format
#'   and for a custom distance.
#' @param max_elements The capacity: 0 (the default), or any number below the
#'   number of items, keeps the file's; a number at least the number of items
#'   replaces it (as in hnswlib).
#' @param allow_replace_deleted As in [hnsw_index()]: whether new items may reuse
#'   the slots of deleted ones (a native file saved from an index that allowed it
#'   allows it anyway).
#' @param random_seed The seed of the levels of items added after loading (the
#'   file does not store it), a whole number >= 0.
#' @param quantization As in [hnsw_build()]: `"sq8"` or `"sq4"` load a file in
#'   hnswlib's format into an index that searches on 8- or 4-bit codes, made from
#'   the file's vectors. A native file keeps its own quantization: `"none"` (the
#'   default) loads it as saved, another value must be the file's.
#' @param mmap `FALSE` (the default) reads the file into memory; `TRUE` opens a
#'   native file as a read-only view (see the section Memory-mapped views). A view
#'   is the file as saved: with `mmap = TRUE`, `max_elements`,
#'   `allow_replace_deleted`, `random_seed`, `quantization` and `keep_vectors` must
#'   keep their defaults, else an `hnswlibrs_invalid_argument` error.
#' @param verify For a view: `TRUE` checks on opening what a load checks (the
#'   checksums of the vectors and links, every link and every vector), which reads
#'   the whole file. `FALSE` (the default) checks the header, labels, levels and
#'   upper-level links only: searches stay safe whatever the file holds, but a
#'   damaged file may give wrong results, which `$checkIntegrity()` finds. A load
#'   (`mmap = FALSE`) always checks everything.
#' @param distance_name The name of a custom distance (see [hnsw_build()]). A native
#'   file saved with a named custom distance reads only with a distance of that name
#'   (else an `hnswlibrs_invalid_argument` error naming both) or with no name, which
#'   takes the file's. `NULL` (the default) for none; with a built-in distance or no
#'   `distance` it is an `hnswlibrs_invalid_argument` error.
#' @param populate For a view: `TRUE` reads the whole file into the page cache
#'   while opening, so the first searches do not wait for the disk. No effect
#'   without `mmap = TRUE`.
#' @inheritParams hnsw_build
#'
#' @return An index (see [HnswL2] for its methods) of class `HnswEuclidean`,
#'   `HnswL2`, `HnswCosine`, `HnswIp` or `HnswL2u8` according to the distance (`HnswIndex` for
#'   a custom distance). Its query-time `ef` is the file's for a native file, 10
#'   for hnswlib's format.
#'
#' @seealso [hnsw_save()]; `new(HnswL2, dim, filename)` (see [HnswL2]) loads a file
#'   too; [saveRDS()] keeps an index with its settings.
#' @examples
#' X <- matrix(rnorm(200 * 6), ncol = 6)
#' ann <- hnsw_build(X, distance = "cosine", M = 8, ef = 50)
#' f <- tempfile(fileext = ".hnsw")
#' ann$save(f)
#' loaded <- hnsw_load(f, distance = "cosine", dim = 6, max_elements = 300)
#' loaded$getMaxElements()
#' identical(hnsw_search(X[1:5, ], loaded, k = 3), hnsw_search(X[1:5, ], ann, k = 3))
#'
#' bytes <- ann$toRaw()
#' again <- hnsw_from_raw(bytes, distance = "cosine", dim = 6)
#' again$size()
#'
#' # the native format names its distance and dimension, and can be viewed
#' ann$save(f, format = "native")
#' native <- hnsw_load(f)
#' native
#' view <- hnsw_load(f, mmap = TRUE)
#' view$isView()
#' identical(hnsw_search(X[1:5, ], view, k = 3), hnsw_search(X[1:5, ], ann, k = 3))
#' try(view$addItems(X[1:2, ])) # a read-only view
#'
#' # a file in hnswlib's format, searched on 8-bit codes (learnt from 1,000 items on)
#' big <- hnsw_build(matrix(rnorm(1200 * 6), ncol = 6), distance = "cosine")
#' big$save(f)
#' sq8 <- hnsw_load(f, distance = "cosine", dim = 6, quantization = "sq8")
#' sq8$isTrained()
#' rm(view)
#' unlink(f)
#' @export
hnsw_load <- function(filename, distance = NULL, dim = NULL, max_elements = 0,
                      allow_replace_deleted = FALSE, random_seed = 100, quantization = "none",
                      keep_vectors = TRUE, mmap = FALSE, verify = FALSE, populate = FALSE,
                      distance_name = NULL) {
  if (check_flag(mmap, "mmap") &&
      !(isTRUE(max_elements == 0) && isFALSE(allow_replace_deleted) && isTRUE(random_seed == 100) &&
        identical(quantization, "none") && isTRUE(keep_vectors))) {
    stop(hnsw_condition(paste(
      "Invalid parameter: mmap = TRUE views the file as it was saved; max_elements,",
      "allow_replace_deleted, random_seed, quantization and keep_vectors are options of loads"),
      "invalid_argument", sys.call()))
  }
  load_index(check_filename(filename), distance, dim, max_elements, allow_replace_deleted,
             random_seed, quantization, keep_vectors, sys.call(),
             c(mmap, check_flag(verify, "verify"), check_flag(populate, "populate")),
             distance_name)
}

#' @rdname hnsw_load
#' @export
hnsw_from_raw <- function(bytes, distance = NULL, dim = NULL, max_elements = 0,
                          allow_replace_deleted = FALSE, random_seed = 100, quantization = "none",
                          keep_vectors = TRUE, distance_name = NULL) {
  if (!is.raw(bytes)) {
    stop(hnsw_condition("Invalid parameter: bytes must be a raw vector", "invalid_argument"))
  }
  load_index(bytes, distance, dim, max_elements, allow_replace_deleted, random_seed,
             quantization, keep_vectors, sys.call(), distance_name = distance_name)
}

# An index read from `source`, the name of an index file or its bytes (a raw vector);
# `view` is c(mmap, verify, populate); its errors name `call`. A NULL distance is the
# file's own (the l2 space as "euclidean"), a NULL dim the file's; `distance_name` names a
# custom distance.
load_index <- function(source, distance, dim, max_elements, allow_replace_deleted, random_seed,
                       quantization, keep_vectors, call, view = c(FALSE, FALSE, FALSE),
                       distance_name = NULL) {
  if (!is.null(distance)) distance <- check_distance(distance)
  if (!is.null(dim)) dim <- check_count(dim, "dim", 1)
  h <- rs(rs_load(source, distance, dim, distance_name, check_count(max_elements, "max_elements"),
                  isTRUE(allow_replace_deleted), check_count(random_seed, "random_seed"),
                  quantization, check_flag(keep_vectors, "keep_vectors"),
                  view[1], view[2], view[3]), call)
  if (is.null(distance)) {
    distance <- rs(rs_info(h), call)$distance
    if (distance == "l2") distance <- "euclidean"
  }
  wrap_handle(h, distance)
}
