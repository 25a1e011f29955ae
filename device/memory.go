package device

// Memory is the buffer family: allocation, host↔device copies and the
// on-device moves (fill, copy, row gather).
type Memory interface {
	// Alloc returns a buffer of n float32 elements with unspecified contents.
	Alloc(n int) (Buffer, error)
	// AllocIndex returns a buffer of n int32 elements with unspecified contents.
	AllocIndex(n int) (IndexBuffer, error)
	// Free releases a buffer; using it afterwards is an error.
	Free(b Buffer)
	// FreeIndex releases an index buffer.
	FreeIndex(b IndexBuffer)

	// Upload copies len(src) values from the host into dst[0:len(src)].
	Upload(dst Buffer, src []float32)
	// UploadIndex copies len(src) indices from the host into dst[0:len(src)].
	UploadIndex(dst IndexBuffer, src []int32)
	// Download waits for queued work and copies src[0:len(dst)] to the host.
	Download(dst []float32, src Buffer) error
	// Fill sets dst[0:n] to v.
	Fill(dst Buffer, n int, v float32)
	// Copy copies src[0:n] to dst[0:n] on the device.
	Copy(dst, src Buffer, n int)
	// GatherRows copies dst[i,:] = src[idx[idxOffset+i],:] for i < rows,
	// with cols columns per row. (The offset lets a whole epoch's shuffled
	// order be uploaded once and consumed one minibatch at a time.)
	GatherRows(src Buffer, idx IndexBuffer, idxOffset int, dst Buffer, rows, cols int)
}
