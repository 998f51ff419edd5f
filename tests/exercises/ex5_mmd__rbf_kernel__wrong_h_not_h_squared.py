# wrong: divided by 2h instead of 2h^2
sq_dists = (a[:, None, :] - b[None, :, :]).pow(2).sum(-1)
return torch.exp(-sq_dists / (2 * bandwidth))
