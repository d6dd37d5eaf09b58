# DAVIS 2016 single-object VOS (ids 1..254 -> 1, 255 void; the original
# grayscale 0/255 masks are read too), laid out as released:
#   data/DAVIS/JPEGImages/480p/<seq>/00000.jpg
#   data/DAVIS/Annotations/480p/<seq>/00000.png
#   data/DAVIS/ImageSets/2016/{train,val}.txt
# Another root: --cfg-options data_root=/my/DAVIS (moves every nested path).
_base_ = './davis2017.py'
year = '2016'

train_dataloader = dict(dataset=dict(year=year))
val_dataloader = dict(dataset=dict(year=year))
test_dataloader = val_dataloader
val_evaluator = dict(year=year)
test_evaluator = val_evaluator
