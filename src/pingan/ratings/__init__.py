"""Security star ratings of premises (治安星级管理) and their public signs with a QR code."""
