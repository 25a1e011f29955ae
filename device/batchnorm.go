package device

// BatchNorm is the batch-normalisation family (training forward with the
// running statistics' update, inference forward, backward), each fused with
// the layer's activation where the activation follows the normalisation.
type BatchNorm interface {
	// BatchNormTrain normalises each column c of the rows×cols matrix z with
	// its batch mean and biased variance and applies scale, shift and the
	// activation: out = act(gamma[c]·(z−mean[c])·invStd[c] + beta[c]), with
	// invStd = 1/sqrt(var+eps). It saves mean and invStd for the backward
	// pass and updates the running statistics as PyTorch does: runMean =
	// (1−momentum)·runMean + momentum·mean; runVar = (1−momentum)·runVar +
	// momentum·var·rows/(rows−1). out must not alias z.
	BatchNormTrain(act Activation, z, gamma, beta, out, saveMean, saveInvStd, runMean, runVar Buffer, rows, cols int, eps, momentum float32)
	// BatchNormEval applies the running statistics: out =
	// act(gamma·(z−runMean)/sqrt(runVar+eps) + beta).
	BatchNormEval(act Activation, z, gamma, beta, runMean, runVar, out Buffer, rows, cols int, eps float32)
	// BatchNormBackward takes dy = ∂loss/∂(gamma·x̂+beta) and z with the
	// saved statistics and computes x̂ = (z−mean)·invStd, dgamma[c] =
	// Σ_r dy·x̂, dbeta[c] = Σ_r dy and dz = gamma·invStd/rows·(rows·dy −
	// dbeta − x̂·dgamma). dz may alias dy.
	BatchNormBackward(z, dy, gamma, saveMean, saveInvStd, dz, dgamma, dbeta Buffer, rows, cols int)
}
