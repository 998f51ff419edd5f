# right: minus the binary cross-entropy computed from the logits, summed over the pixels
bce = torch.nn.functional.binary_cross_entropy_with_logits(logits, x, reduction="none")
return -bce.sum(-1)
