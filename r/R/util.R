# Errors, progress and chunked driving of long batches.

# A condition of class hnswlibrs_<kind> (and hnswlibrs_error, error, condition).
hnsw_condition <- function(message, kind, call = NULL, ...) {
  structure(
    class = c(paste0("hnswlibrs_", kind), "hnswlibrs_error", "error", "condition"),
    list(message = message, call = call, ...)
  )
}

# Evaluates a call into the Rust library; its errors arrive as
# "hnswlibrs:<kind>:<message>" and are raised again as hnswlibrs conditions, naming
# `call` (by default the call of the function calling rs()).
rs <- function(expr, call = NULL) {
  if (is.null(call)) call <- sys.call(-1)
  tryCatch(expr, error = function(e) {
    msg <- conditionMessage(e)
    if (startsWith(msg, "hnswlibrs:")) {
      rest <- substring(msg, 11L)
      colon <- regexpr(":", rest, fixed = TRUE)
      stop(hnsw_condition(substring(rest, colon + 1L), substr(rest, 1L, colon - 1L), call))
    }
    stop(e)
  })
}

# Signals an hnswlibrs condition for the native code, from R callbacks that cannot
# return an error to R (the serialisation of an index).
stop_from_native <- function(message, kind) stop(hnsw_condition(message, kind))

stime <- function() format(Sys.time(), "%T")

# A time-stamped message when the caller's `verbose` is TRUE (as RcppHNSW).
tsmessage <- function(...) {
  verbose <- get0("verbose", envir = parent.frame(), inherits = FALSE)
  if (isTRUE(verbose)) {
    message(stime(), " ", ...)
    utils::flush.console()
  }
}

check_matrix <- function(X) {
  if (!is.matrix(X)) {
    stop("X must be matrix", call. = FALSE)
  }
  # A raw matrix holds u8 vectors, for an index of distance "l2u8": kept as it is.
  if (is.raw(X)) return(X)
  if (!is.numeric(X) && !is.logical(X)) {
    stop("X must be a numeric matrix", call. = FALSE)
  }
  if (!is.double(X)) {
    storage.mode(X) <- "double"
  }
  X
}

# One file name, expanded (~); anything else is an hnswlibrs_invalid_argument error.
check_filename <- function(filename) {
  if (!is.character(filename) || length(filename) != 1 || is.na(filename)) {
    stop(hnsw_condition("Invalid parameter: filename must be one file name (a character string)",
                        "invalid_argument", sys.call(-1)))
  }
  path.expand(filename)
}

# The file format of a save: "hnswlib" when left at its default, else checked by the core
# (one string, "hnswlib" or "native").
check_format <- function(format) {
  if (identical(format, c("hnswlib", "native"))) "hnswlib" else format
}

check_count <- function(x, name, min = 0) {
  if (!is.numeric(x) || length(x) != 1 || is.na(x) || x < min || x != floor(x)) {
    stop(name, " must be a whole number >= ", min, call. = FALSE)
  }
  as.numeric(x)
}

check_flag <- function(x, name) {
  if (!is.logical(x) || length(x) != 1 || is.na(x)) {
    stop(name, " must be TRUE or FALSE", call. = FALSE)
  }
  x
}

# RcppHNSW's text progress bar: 50 stars on stderr.
progress_bar <- function(total) {
  message("0%   10   20   30   40   50   60   70   80   90   100%")
  message("[----|----|----|----|----|----|----|----|----|----|")
  shown <- 0L
  function(done) {
    stars <- as.integer(floor(50 * done / total))
    if (stars > shown) {
      message(strrep("*", stars - shown), appendLF = FALSE)
      shown <<- stars
      utils::flush.console()
    }
    if (done >= total) message("|")
  }
}

# Runs work(start, end) over rows 0..n-1 in chunks (0-based, end exclusive), from R's
# main thread; each chunk runs in parallel inside the core. Between chunks it draws the
# progress bar, calls a progress function and looks for Ctrl-C. A progress function
# (done, total) returning FALSE, or an interrupt, stops before the next chunk.
# Returns list(done, interrupted, cancelled).
drive_chunks <- function(n, work, progress = NULL, bar = FALSE, chunk = NULL) {
  if (is.null(chunk)) {
    # About 100 chunks, none so small that threads wait on each other often, none so
    # long that Ctrl-C waits long.
    chunk <- min(max(ceiling(n / 100), 1000), 20000)
  }
  draw <- if (bar && n > 0) progress_bar(n) else NULL
  done <- 0
  while (done < n) {
    end <- min(done + chunk, n)
    work(done, end)
    done <- end
    if (!is.null(draw)) draw(done)
    keep <- if (is.function(progress)) progress(done, n) else TRUE
    if (rs_interrupt_pending()) {
      if (!is.null(draw) && done < n) message("")
      return(list(done = done, interrupted = TRUE, cancelled = TRUE))
    }
    if (identical(keep, FALSE) && done < n) {
      if (!is.null(draw)) message("")
      return(list(done = done, interrupted = FALSE, cancelled = TRUE))
    }
  }
  list(done = done, interrupted = FALSE, cancelled = FALSE)
}

# The condition for a batch stopped by Ctrl-C or a progress function. `index` (when
# given) holds the rows added so far and stays usable.
cancelled_condition <- function(run, total, what, index = NULL, call = NULL) {
  how <- if (run$interrupted) "Interrupted" else "Cancelled"
  msg <- sprintf(
    "%s after %.0f of %.0f rows; %s", how, run$done, total,
    if (is.null(index)) "no results were returned" else "the rows added so far stay in the index"
  )
  hnsw_condition(msg, "cancelled", call, index = index, done = run$done, total = total,
                 interrupted = run$interrupted, operation = what)
}

# progress = "bar" draws a bar when verbose (as RcppHNSW); a function gets (done, total).
wants_bar <- function(progress, verbose) {
  isTRUE(verbose) && is.character(progress) && identical(progress[1], "bar")
}
