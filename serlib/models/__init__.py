"""Models: scikit-learn pipelines and Keras builders behind one registry.

Notebooks: 06_mlp_grid_search.ipynb, 07_cnn.ipynb, 08_resnet_transfer.ipynb
"""
