# wrong: the samples weighted by the negative log-weights, softmax(−log w), so bad samples lead
return torch.softmax(-log_w, dim=0)
