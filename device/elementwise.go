package device

// Elementwise is the family of the remaining element-wise operations.
type Elementwise interface {
	// Dropout sets mask[i] = 1/(1−p) when DropoutKeep(seed, i, p) and 0
	// otherwise, and multiplies x[i] by mask[i], for i < n.
	Dropout(x, mask Buffer, n int, p float32, seed uint64)
	// DropoutReplicas is Dropout on x, a rows × replicas·width matrix
	// (row-major) whose column block r belongs to replica r, with replica
	// r's drop probability p[r] (a device vector of replicas floats): each
	// replica's block gets the mask Dropout(…, rows·width, p[r], seed)
	// gives a rows × width matrix of its own, so a replica drops exactly
	// what it would drop trained alone. mask has x's shape.
	DropoutReplicas(x, mask Buffer, rows, width, replicas int, p Buffer, seed uint64)
	// Mul computes out[i] = a[i]·b[i] for i < n; out may be a or b.
	Mul(a, b, out Buffer, n int)
}

// DropoutKeep reports whether element i survives dropout with probability p
// of being dropped, for the given seed. Every backend uses this exact
// counter-based hash (SplitMix64 finaliser over seed and index), so masks are
// identical across devices. The top 24 bits of the hash give a uniform value
// u in [0,1); the element is kept when u >= p.
func DropoutKeep(seed uint64, i int, p float32) bool {
	return DropoutUniform(seed, i) >= p
}

// DropoutUniform is the uniform value in [0,1) that DropoutKeep compares
// against p: hash(seed, i) >> 40, scaled by 2⁻²⁴.
func DropoutUniform(seed uint64, i int) float32 {
	x := seed + uint64(i)*0x9E3779B97F4A7C15
	x ^= x >> 30
	x *= 0xBF58476D1CE4E5B9
	x ^= x >> 27
	x *= 0x94D049BB133111EB
	x ^= x >> 31
	return float32(x>>40) * (1.0 / (1 << 24))
}
