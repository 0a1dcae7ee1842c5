// Package data reads the word-level language-modelling corpora used by
// sparselm (Penn Treebank, WikiText-2, or any text in the same format),
// maps words to dense int32 ids, folds id sequences into parallel streams
// for truncated back-propagation through time, and downloads the standard
// datasets with checksum verification.
//
// # Text format
//
// A corpus is a directory holding three splits, under one of these names:
//
//	train.txt       valid.txt       test.txt
//	ptb.train.txt   ptb.valid.txt   ptb.test.txt
//	wiki.train.tokens wiki.valid.tokens wiki.test.tokens
//
// Each file is UTF-8 text. A byte-order mark (U+FEFF) at the start of a file
// is skipped: it marks the encoding and is not text, so it never becomes part
// of a word (a U+FEFF anywhere else is a character of its word, as for
// Python's str.split()). Lines end at '\n'; a '\r' before it is whitespace
// and so ignored (unlike Python's universal newlines, a lone '\r' does not
// end a line). Every line (including a blank one, and a final line without a
// trailing newline) is split on whitespace (unicode.IsSpace; the real corpora
// only contain ASCII spaces) and the end-of-sentence
// token [EOS] is appended, exactly as the PyTorch word_language_model
// example does (line.split() + ['<eos>']). A blank line therefore yields the
// single token <eos>. Rare words are expected to have been replaced by [UNK]
// already, as in PTB and WikiText-2. Lines may be of any length: files are
// read in pieces, so a corpus in one line (text8 is 100 MB without a newline)
// needs no option, and memory is bounded by the longest word. NUL bytes,
// invalid UTF-8 and words longer than [MaxWordBytes] are errors that name the
// file, the line and the byte column.
//
// # Ids
//
// Ids are int32 and dense in [0, Vocab.Len()). The vocabulary is built from
// the training split in first-occurrence order: id 0 is the first token of
// train (for PTB "aer"; for WikiText-2, whose first line is blank, "<eos>"),
// and the i-th distinct train token gets id i. Valid and test words that are
// not in the vocabulary map to <unk> when the vocabulary has it (PTB and
// WikiText-2 never need this) and are an error otherwise. [ReadFile], which
// reads any text with a trained vocabulary, counts the words it read as <unk>
// ([Text.Unknown]; a literal <unk> is not one), since they make a perplexity
// look better than it is (see [UnknownRateWarn]). [Options.MaxVocab]
// and [Options.MinCount] restrict the vocabulary of corpora that are not
// already closed; see [Options].
//
// # Batches
//
// [Batchify] folds a sequence into B parallel streams as PyTorch's batchify
// does: the sequence is trimmed to B·L tokens and stream b holds tokens
// [b·L, (b+1)·L). [Stream.Window] yields inputs and targets time-major,
// laid out [T×B]: element t·B+b is time step t of stream b, so that each time
// step's B tokens are contiguous. Targets are the inputs shifted one step
// ahead. [Stream.Windows] lists the BPTT windows of one epoch, either fixed
// length or with AWD-LSTM's randomised lengths.
//
// # Finding and fetching datasets
//
// [Resolve] finds a dataset directory from a command-line flag, the
// SPARSELM_DATA environment variable or the user data directory
// ([UserDir]: $XDG_DATA_HOME/sparselm, else ~/.local/share/sparselm), never
// from ./data (in a checkout, this package's directory). [Fetch] downloads
// the known datasets ([Known]) into [DefaultDir] or a given directory,
// verifies their sizes and MD5 sums, and removes the directories it
// created when it fails ([DownloadError]).
package data
