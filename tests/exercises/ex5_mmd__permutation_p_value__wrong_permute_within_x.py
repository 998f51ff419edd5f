# wrong: permuting only the rows of x, which leaves every split the observed one
observed = mmd2_unbiased(x, y, bandwidth)
exceed = 0
for _ in range(permutations):
    order = torch.randperm(len(x), generator=generator)
    exceed += int(mmd2_unbiased(x[order], y, bandwidth) >= observed)
return (1 + exceed) / (1 + permutations)
