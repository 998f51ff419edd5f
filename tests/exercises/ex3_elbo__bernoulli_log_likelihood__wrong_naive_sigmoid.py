# wrong: the literal x·log σ(ℓ) + (1 − x)·log(1 − σ(ℓ)), which gives −inf or nan once σ(ℓ) rounds to 1
y = torch.sigmoid(logits)
return (x * torch.log(y) + (1 - x) * torch.log(1 - y)).sum(-1)
