<?php
/**
 * Till_Pos: the companion module of Till's Magento connector (optional; see README.md).
 */
declare(strict_types=1);

use Magento\Framework\Component\ComponentRegistrar;

ComponentRegistrar::register(ComponentRegistrar::MODULE, 'Till_Pos', __DIR__);
