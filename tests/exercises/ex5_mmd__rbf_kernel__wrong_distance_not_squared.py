# wrong: the distance ||a - b|| in the exponent instead of the squared distance
dists = (a[:, None, :] - b[None, :, :]).pow(2).sum(-1).sqrt()
return torch.exp(-dists / (2 * bandwidth**2))
