package fn

// WriteResourceListChunks is WriteResourceList with a chosen chunk size, so
// that tests can put a chunk boundary between every two items.
var WriteResourceListChunks = writeResourceList
